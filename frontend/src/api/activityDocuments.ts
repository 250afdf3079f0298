// The owner's activity series (Poll.activity). Kept apart from documents.ts so the poll
// page's main bundle does not carry it: only the lazily loaded chart imports it.
import { graphql } from '../gql';

export const PollActivityQuery = graphql(`
  query PollActivity($id: ID!, $interval: ActivityInterval, $since: DateTime) {
    poll(id: $id) {
      id
      activity(interval: $interval, since: $since) {
        since
        until
        intervalSeconds
        buckets { start cast changed retracted }
      }
    }
  }
`);
