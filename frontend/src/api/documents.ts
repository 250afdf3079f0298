// Every GraphQL operation the app sends. `npm run codegen` turns each into a typed
// document (src/gql) checked against ../schema.graphql.
import { graphql } from '../gql';

export const ResultsFieldsFragment = graphql(`
  fragment ResultsFields on PollResults {
    pollId
    totalVotes
    version
    asOf
    final
    options {
      option { id text position }
      votes
      percentage
    }
    instantRunoff {
      rounds {
        number
        tallies {
          option { id }
          votes
          percentage
        }
        eliminated { id }
        exhaustedBallots
        continuingBallots
      }
      winner { id }
      tiedOptions { id }
    }
    scores {
      options {
        option { id }
        ballots
        total
        average
        distribution { score ballots }
      }
      winners { id }
    }
  }
`);

// `results` is null (with RESULTS_HIDDEN at its path) where the viewer may not see the
// results yet; lists then show no count.
export const PollSummaryFieldsFragment = graphql(`
  fragment PollSummaryFields on Poll {
    id
    title
    kind
    status
    opensAt
    closesAt
    closedAt
    createdAt
    owner { id username }
    myVote { id }
    results { totalVotes }
  }
`);

export const MyVoteFieldsFragment = graphql(`
  fragment MyVoteFields on Vote {
    id
    optionIds
    options { id text position }
    scores {
      option { id }
      score
    }
    castAt
    updatedAt
  }
`);

export const ViewerQuery = graphql(`
  query Viewer {
    viewer { id username }
  }
`);

export const RegisterMutation = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      token
      expiresAt
      user { id username }
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) {
      token
      expiresAt
      user { id username }
    }
  }
`);

export const PollQuery = graphql(`
  query Poll($id: ID!) {
    poll(id: $id) {
      id
      title
      description
      kind
      minChoices
      maxChoices
      scoreRange { min max }
      options { id text position }
      status
      opensAt
      closesAt
      closedAt
      createdAt
      owner { id username }
      resultsVisibility
      allowVoteChange
      voters
      anonymous
      viewerInvited
      results { ...ResultsFields }
      myVote { ...MyVoteFields }
    }
  }
`);

export const PollListQuery = graphql(`
  query PollList($first: Int!, $after: String, $filter: PollFilter) {
    polls(first: $first, after: $after, filter: $filter) {
      edges {
        cursor
        node { ...PollSummaryFields }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const CreatePollMutation = graphql(`
  mutation CreatePoll($input: CreatePollInput!) {
    createPoll(input: $input) { id }
  }
`);

export const ClosePollMutation = graphql(`
  mutation ClosePoll($id: ID!) {
    closePoll(id: $id) {
      id
      status
      closedAt
    }
  }
`);

export const CastVoteMutation = graphql(`
  mutation CastVote($input: CastVoteInput!) {
    castVote(input: $input) {
      replayed
      vote { ...MyVoteFields }
    }
  }
`);

export const ChangeVoteMutation = graphql(`
  mutation ChangeVote($input: ChangeVoteInput!) {
    changeVote(input: $input) {
      replayed
      vote { ...MyVoteFields }
    }
  }
`);

export const RetractVoteMutation = graphql(`
  mutation RetractVote($input: RetractVoteInput!) {
    retractVote(input: $input) {
      replayed
      retractedVote { id }
    }
  }
`);

export const PollResultsSubscription = graphql(`
  subscription PollResults($pollId: ID!) {
    pollResults(pollId: $pollId) { ...ResultsFields }
  }
`);
