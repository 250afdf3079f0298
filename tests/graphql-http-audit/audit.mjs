// Runs graphql-http's server audits (the GraphQL-over-HTTP spec's MUSTs, SHOULDs and
// MAYs) against a running Tally: `node audit.mjs http://127.0.0.1:8080/graphql`.
// Prints every result; exits 1 when a MUST or SHOULD fails (a MAY may fail: it is a
// choice the spec leaves open, and Tally's choices are in README "For integrators").
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <url of /graphql>');
  process.exit(2);
}

let failed = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const required = !audit.name.startsWith('MAY');
  const mark = result.status === 'ok' ? 'ok  ' : required ? 'FAIL' : 'may ';
  console.log(`${mark} ${audit.id} ${audit.name}`);
  if (result.status !== 'ok') {
    console.log(`       ${result.reason}`);
    if (required) failed += 1;
  }
}
console.log(failed === 0 ? 'every MUST and SHOULD passes' : `${failed} MUST/SHOULD audits failed`);
process.exit(failed === 0 ? 0 : 1);
