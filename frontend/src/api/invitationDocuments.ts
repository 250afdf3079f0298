// Operations of invitation-only polls: the owner issues, lists and revokes invitations;
// whoever holds a link redeems it. Kept apart from documents.ts so the app's other
// documents do not depend on them.
import { graphql } from '../gql';

export const InvitationFieldsFragment = graphql(`
  fragment InvitationFields on Invitation {
    id
    name
    code
    link
    status
    createdAt
    redeemedAt
  }
`);

export const PollInvitationsQuery = graphql(`
  query PollInvitations($id: ID!, $first: Int!, $after: String) {
    poll(id: $id) {
      id
      invitationCounts { issued redeemed voted revoked }
      invitations(first: $first, after: $after) {
        edges { cursor node { ...InvitationFields } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const CreateInvitationsMutation = graphql(`
  mutation CreateInvitations($input: CreateInvitationsInput!) {
    createInvitations(input: $input) { ...InvitationFields }
  }
`);

export const RevokeInvitationMutation = graphql(`
  mutation RevokeInvitation($id: ID!) {
    revokeInvitation(id: $id) { ...InvitationFields }
  }
`);

export const RedeemInvitationMutation = graphql(`
  mutation RedeemInvitation($code: String!) {
    redeemInvitation(code: $code) { id title voters }
  }
`);
