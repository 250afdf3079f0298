// Join codes and the presenter screen. Kept apart from documents.ts so the poll page's
// bundle does not carry them.
import { graphql } from '../gql';

export const PollByCodeQuery = graphql(`
  query PollByCode($code: String!) {
    pollByCode(code: $code) { id }
  }
`);

export const PollJoinCodeQuery = graphql(`
  query PollJoinCode($id: ID!) {
    poll(id: $id) { id joinCode }
  }
`);
