// Operations of guest voting (no account): a proof-of-work challenge and the guest
// session it buys. Kept apart from
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
