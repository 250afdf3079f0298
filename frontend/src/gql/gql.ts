/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment ResultsFields on PollResults {\n    pollId\n    totalVotes\n    version\n    asOf\n    final\n    options {\n      option { id text position }\n      votes\n      percentage\n    }\n  }\n": typeof types.ResultsFieldsFragmentDoc,
    "\n  fragment PollSummaryFields on Poll {\n    id\n    title\n    kind\n    status\n    opensAt\n    closesAt\n    closedAt\n    createdAt\n    owner { id username }\n    myVote { id }\n  }\n": typeof types.PollSummaryFieldsFragmentDoc,
    "\n  fragment MyVoteFields on Vote {\n    id\n    optionIds\n    options { id text position }\n    castAt\n    updatedAt\n  }\n": typeof types.MyVoteFieldsFragmentDoc,
    "\n  query Viewer {\n    viewer { id username }\n  }\n": typeof types.ViewerDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      expiresAt\n      user { id username }\n    }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      expiresAt\n      user { id username }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query Poll($id: ID!) {\n    poll(id: $id) {\n      id\n      title\n      description\n      kind\n      minChoices\n      maxChoices\n      options { id text position }\n      status\n      opensAt\n      closesAt\n      closedAt\n      createdAt\n      owner { id username }\n      resultsVisibility\n      allowVoteChange\n      results { ...ResultsFields }\n      myVote { ...MyVoteFields }\n    }\n  }\n": typeof types.PollDocument,
    "\n  query PollList($first: Int!, $after: String, $filter: PollFilter) {\n    polls(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node { ...PollSummaryFields }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.PollListDocument,
    "\n  mutation CreatePoll($input: CreatePollInput!) {\n    createPoll(input: $input) { id }\n  }\n": typeof types.CreatePollDocument,
    "\n  mutation ClosePoll($id: ID!) {\n    closePoll(id: $id) {\n      id\n      status\n      closedAt\n    }\n  }\n": typeof types.ClosePollDocument,
    "\n  mutation CastVote($input: CastVoteInput!) {\n    castVote(input: $input) {\n      replayed\n      vote { ...MyVoteFields }\n    }\n  }\n": typeof types.CastVoteDocument,
    "\n  mutation ChangeVote($input: ChangeVoteInput!) {\n    changeVote(input: $input) {\n      replayed\n      vote { ...MyVoteFields }\n    }\n  }\n": typeof types.ChangeVoteDocument,
    "\n  mutation RetractVote($input: RetractVoteInput!) {\n    retractVote(input: $input) {\n      replayed\n      retractedVote { id }\n    }\n  }\n": typeof types.RetractVoteDocument,
    "\n  subscription PollResults($pollId: ID!) {\n    pollResults(pollId: $pollId) { ...ResultsFields }\n  }\n": typeof types.PollResultsDocument,
};
const documents: Documents = {
    "\n  fragment ResultsFields on PollResults {\n    pollId\n    totalVotes\n    version\n    asOf\n    final\n    options {\n      option { id text position }\n      votes\n      percentage\n    }\n  }\n": types.ResultsFieldsFragmentDoc,
    "\n  fragment PollSummaryFields on Poll {\n    id\n    title\n    kind\n    status\n    opensAt\n    closesAt\n    closedAt\n    createdAt\n    owner { id username }\n    myVote { id }\n  }\n": types.PollSummaryFieldsFragmentDoc,
    "\n  fragment MyVoteFields on Vote {\n    id\n    optionIds\n    options { id text position }\n    castAt\n    updatedAt\n  }\n": types.MyVoteFieldsFragmentDoc,
    "\n  query Viewer {\n    viewer { id username }\n  }\n": types.ViewerDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      expiresAt\n      user { id username }\n    }\n  }\n": types.RegisterDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      expiresAt\n      user { id username }\n    }\n  }\n": types.LoginDocument,
    "\n  query Poll($id: ID!) {\n    poll(id: $id) {\n      id\n      title\n      description\n      kind\n      minChoices\n      maxChoices\n      options { id text position }\n      status\n      opensAt\n      closesAt\n      closedAt\n      createdAt\n      owner { id username }\n      resultsVisibility\n      allowVoteChange\n      results { ...ResultsFields }\n      myVote { ...MyVoteFields }\n    }\n  }\n": types.PollDocument,
    "\n  query PollList($first: Int!, $after: String, $filter: PollFilter) {\n    polls(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node { ...PollSummaryFields }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.PollListDocument,
    "\n  mutation CreatePoll($input: CreatePollInput!) {\n    createPoll(input: $input) { id }\n  }\n": types.CreatePollDocument,
    "\n  mutation ClosePoll($id: ID!) {\n    closePoll(id: $id) {\n      id\n      status\n      closedAt\n    }\n  }\n": types.ClosePollDocument,
    "\n  mutation CastVote($input: CastVoteInput!) {\n    castVote(input: $input) {\n      replayed\n      vote { ...MyVoteFields }\n    }\n  }\n": types.CastVoteDocument,
    "\n  mutation ChangeVote($input: ChangeVoteInput!) {\n    changeVote(input: $input) {\n      replayed\n      vote { ...MyVoteFields }\n    }\n  }\n": types.ChangeVoteDocument,
    "\n  mutation RetractVote($input: RetractVoteInput!) {\n    retractVote(input: $input) {\n      replayed\n      retractedVote { id }\n    }\n  }\n": types.RetractVoteDocument,
    "\n  subscription PollResults($pollId: ID!) {\n    pollResults(pollId: $pollId) { ...ResultsFields }\n  }\n": types.PollResultsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ResultsFields on PollResults {\n    pollId\n    totalVotes\n    version\n    asOf\n    final\n    options {\n      option { id text position }\n      votes\n      percentage\n    }\n  }\n"): (typeof documents)["\n  fragment ResultsFields on PollResults {\n    pollId\n    totalVotes\n    version\n    asOf\n    final\n    options {\n      option { id text position }\n      votes\n      percentage\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PollSummaryFields on Poll {\n    id\n    title\n    kind\n    status\n    opensAt\n    closesAt\n    closedAt\n    createdAt\n    owner { id username }\n    myVote { id }\n  }\n"): (typeof documents)["\n  fragment PollSummaryFields on Poll {\n    id\n    title\n    kind\n    status\n    opensAt\n    closesAt\n    closedAt\n    createdAt\n    owner { id username }\n    myVote { id }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MyVoteFields on Vote {\n    id\n    optionIds\n    options { id text position }\n    castAt\n    updatedAt\n  }\n"): (typeof documents)["\n  fragment MyVoteFields on Vote {\n    id\n    optionIds\n    options { id text position }\n    castAt\n    updatedAt\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Viewer {\n    viewer { id username }\n  }\n"): (typeof documents)["\n  query Viewer {\n    viewer { id username }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      expiresAt\n      user { id username }\n    }\n  }\n"): (typeof documents)["\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) {\n      token\n      expiresAt\n      user { id username }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      expiresAt\n      user { id username }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) {\n      token\n      expiresAt\n      user { id username }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Poll($id: ID!) {\n    poll(id: $id) {\n      id\n      title\n      description\n      kind\n      minChoices\n      maxChoices\n      options { id text position }\n      status\n      opensAt\n      closesAt\n      closedAt\n      createdAt\n      owner { id username }\n      resultsVisibility\n      allowVoteChange\n      results { ...ResultsFields }\n      myVote { ...MyVoteFields }\n    }\n  }\n"): (typeof documents)["\n  query Poll($id: ID!) {\n    poll(id: $id) {\n      id\n      title\n      description\n      kind\n      minChoices\n      maxChoices\n      options { id text position }\n      status\n      opensAt\n      closesAt\n      closedAt\n      createdAt\n      owner { id username }\n      resultsVisibility\n      allowVoteChange\n      results { ...ResultsFields }\n      myVote { ...MyVoteFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query PollList($first: Int!, $after: String, $filter: PollFilter) {\n    polls(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node { ...PollSummaryFields }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query PollList($first: Int!, $after: String, $filter: PollFilter) {\n    polls(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node { ...PollSummaryFields }\n      }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePoll($input: CreatePollInput!) {\n    createPoll(input: $input) { id }\n  }\n"): (typeof documents)["\n  mutation CreatePoll($input: CreatePollInput!) {\n    createPoll(input: $input) { id }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ClosePoll($id: ID!) {\n    closePoll(id: $id) {\n      id\n      status\n      closedAt\n    }\n  }\n"): (typeof documents)["\n  mutation ClosePoll($id: ID!) {\n    closePoll(id: $id) {\n      id\n      status\n      closedAt\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CastVote($input: CastVoteInput!) {\n    castVote(input: $input) {\n      replayed\n      vote { ...MyVoteFields }\n    }\n  }\n"): (typeof documents)["\n  mutation CastVote($input: CastVoteInput!) {\n    castVote(input: $input) {\n      replayed\n      vote { ...MyVoteFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ChangeVote($input: ChangeVoteInput!) {\n    changeVote(input: $input) {\n      replayed\n      vote { ...MyVoteFields }\n    }\n  }\n"): (typeof documents)["\n  mutation ChangeVote($input: ChangeVoteInput!) {\n    changeVote(input: $input) {\n      replayed\n      vote { ...MyVoteFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RetractVote($input: RetractVoteInput!) {\n    retractVote(input: $input) {\n      replayed\n      retractedVote { id }\n    }\n  }\n"): (typeof documents)["\n  mutation RetractVote($input: RetractVoteInput!) {\n    retractVote(input: $input) {\n      replayed\n      retractedVote { id }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PollResults($pollId: ID!) {\n    pollResults(pollId: $pollId) { ...ResultsFields }\n  }\n"): (typeof documents)["\n  subscription PollResults($pollId: ID!) {\n    pollResults(pollId: $pollId) { ...ResultsFields }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;