import type { PollQuery } from '../../gql/graphql';

/** The poll as the poll page loads it. */
export type PollData = NonNullable<PollQuery['poll']>;
