"""Drives scripts/bench-documents.sh: sends N castVote requests (unauthenticated, so each is
refused in its resolver and does no database work) to a Tally server running under
callgrind, over one keep-alive connection, in one mode:

  hash  by its persisted-query hash alone (stored once before): no parse, fast validation
  text  the same text each time (its parse is cached; full validation each time)
  new   a new text each time (a comment changes): parsed and validated each time

The counters are zeroed after the warm-up and dumped after the last request, so the dump
holds exactly these N requests.

Usage: drive.py PORT MODE N PID"""
import hashlib, http.client, json, sys, subprocess
port, mode, n, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
base = "mutation Cast($input: CastVoteInput!) { castVote(input: $input) { vote { id } replayed } }"
variables = {"input": {"pollId": "00000000-0000-0000-0000-000000000000", "optionIds": ["00000000-0000-0000-0000-000000000001"], "idempotencyKey": "k"}}
conn = http.client.HTTPConnection("127.0.0.1", port)
def post(body):
    conn.request("POST", "/graphql", json.dumps(body), {"content-type": "application/json"})
    r = conn.getresponse(); data = r.read()
    return r.status, data
def sha(text): return hashlib.sha256(text.encode()).hexdigest()
ext = {"persistedQuery": {"version": 1, "sha256Hash": sha(base)}}
print(post({"query": base, "variables": variables, "extensions": ext})[1][:160])
post({"query": base, "variables": variables})
subprocess.run(["callgrind_control", "-z", pid], check=True, capture_output=True)
for i in range(n):
    if mode == "hash":
        status, data = post({"variables": variables, "extensions": ext})
    elif mode == "text":
        status, data = post({"query": base, "variables": variables})
    else:
        status, data = post({"query": base + f" # {i}", "variables": variables})
    assert b"UNAUTHENTICATED" in data, data
subprocess.run(["callgrind_control", "-d", pid], check=True, capture_output=True)
print(mode, "done", n)
