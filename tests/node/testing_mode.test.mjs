// docs/testing.md's Node example, run by node's own test runner against `hubdepot serve --ephemeral`
// (the environment is what it printed: GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_TOKEN): @octokit/rest
// with the retry and throttling plugins, checked against injected 502s and GitHub's rate-limit answers.
import { test, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";

const { GITHUB_API_URL, GITHUB_SERVER_URL, GITHUB_TOKEN } = process.env;

// The test namespace: faults, the journal, reset (site administrator's token).
async function hubdepot(method, path, body) {
  const response = await fetch(`${GITHUB_SERVER_URL}/_hubdepot/${path}`, {
    method,
    headers: { authorization: `token ${GITHUB_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(response.ok, `${method} /_hubdepot/${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}
const journal = async () => (await hubdepot("GET", "requests")).map((r) => `${r.method} ${r.path} ${r.status}`);

const seen = [];
const MyOctokit = Octokit.plugin(retry, throttling);
const octokit = new MyOctokit({
  auth: GITHUB_TOKEN,
  baseUrl: GITHUB_API_URL,
  retry: { retryAfterBaseValue: 10 }, // ms: keep the test fast
  throttle: {
    onRateLimit: (retryAfter, options, _octokit, retryCount) => {
      seen.push(["primary", retryAfter]);
      return retryCount < 1;
    },
    onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) => {
      seen.push(["secondary", retryAfter]);
      return retryCount < 1;
    },
  },
});

beforeEach(async () => {
  await hubdepot("POST", "reset");
  seen.length = 0;
  await octokit.repos.createForAuthenticatedUser({ name: "widgets", auto_init: true });
  await hubdepot("DELETE", "requests");
});

test("the retry plugin rides over two injected 502s", async () => {
  await hubdepot("POST", "faults", { route: "GET /repos/{owner}/{repo}", status: 502, times: 2 });
  const { data } = await octokit.repos.get({ owner: "admin", repo: "widgets" });
  assert.equal(data.full_name, "admin/widgets");
  assert.deepEqual(await journal(), [
    "GET /repos/admin/widgets 502",
    "GET /repos/admin/widgets 502",
    "GET /repos/admin/widgets 200",
  ]);
});

test("the throttling plugin waits out a secondary rate limit", async () => {
  await hubdepot("POST", "faults", { route: "GET /repos/{owner}/{repo}", kind: "secondary", seconds: 1 });
  const { data } = await octokit.repos.get({ owner: "admin", repo: "widgets" });
  assert.equal(data.name, "widgets");
  assert.deepEqual(seen, [["secondary", 1]]);
  assert.deepEqual(await journal(), ["GET /repos/admin/widgets 403", "GET /repos/admin/widgets 200"]);
});

test("the throttling plugin waits for the primary limit's reset", async () => {
  await hubdepot("POST", "faults", { route: "GET /repos/{owner}/{repo}", kind: "primary", seconds: 1 });
  const { data } = await octokit.repos.get({ owner: "admin", repo: "widgets" });
  assert.equal(data.name, "widgets");
  assert.equal(seen.length, 1);
  assert.equal(seen[0][0], "primary");
  assert.ok(seen[0][1] >= 0 && seen[0][1] <= 2, `waits ${seen[0][1]} s`);
  assert.deepEqual(await journal(), ["GET /repos/admin/widgets 403", "GET /repos/admin/widgets 200"]);
});
