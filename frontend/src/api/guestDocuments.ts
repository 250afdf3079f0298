// Operations of guest voting (no account): a proof-of-work challenge, the guest session
// it buys, and moving a guest's ballots to an account later. Kept apart from
// documents.ts so the app's other documents do not depend on them.
import { graphql } from '../gql';

export const GuestChallengeMutation = graphql(`
  mutation GuestChallenge {
    guestChallenge {
      challenge
      salt
      difficulty
      expiresAt
    }
  }
`);

export const StartGuestSessionMutation = graphql(`
  mutation StartGuestSession($input: StartGuestSessionInput!) {
    startGuestSession(input: $input) {
      token
      expiresAt
      user { id username isGuest }
    }
  }
`);

export const ClaimGuestVotesMutation = graphql(`
  mutation ClaimGuestVotes($guestToken: String!) {
    claimGuestVotes(guestToken: $guestToken) { claimed }
  }
`);

export const PollTitleQuery = graphql(`
  query PollTitle($id: ID!) {
    poll(id: $id) { id title }
  }
`);
