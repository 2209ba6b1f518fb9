// @octokit/rest against hubdepot's git data API: blob -> tree -> commit -> ref, then compare and the
// commit's files. Env: BASE_URL (…/api/v3), TOKEN, OWNER, REPO. Prints one JSON line; exits 1 on failure.
import { OWNER, REPO, assert, octokit } from "./client.mjs";

async function status(promise) {
  try { return (await promise).status; } catch (error) { return error.status; }
}

async function main() {
  const repo = { owner: OWNER, repo: REPO };
  const main = await octokit.git.getRef({ ...repo, ref: "heads/main" }); // sent as heads%2Fmain
  const head = await octokit.git.getCommit({ ...repo, commit_sha: main.data.object.sha });
  const blob = await octokit.git.createBlob({ ...repo, content: "from octokit\n", encoding: "utf-8" });
  const tree = await octokit.git.createTree({
    ...repo, base_tree: head.data.tree.sha,
    tree: [{ path: "octo/one.txt", mode: "100644", type: "blob", sha: blob.data.sha }],
  });
  const commit = await octokit.git.createCommit({
    ...repo, message: "octokit commit", tree: tree.data.sha, parents: [head.data.sha],
  });
  await octokit.git.createRef({ ...repo, ref: "refs/heads/octo", sha: commit.data.sha });
  const notFf = await status(octokit.git.updateRef({ ...repo, ref: "heads/octo", sha: head.data.sha }));
  const matching = await octokit.git.listMatchingRefs({ ...repo, ref: "heads/" });
  const deep = await octokit.git.getTree({ ...repo, tree_sha: "octo", recursive: "1" });
  const compared = await octokit.repos.compareCommitsWithBasehead({ ...repo, basehead: "main...octo" });
  const single = await octokit.repos.getCommit({ ...repo, ref: commit.data.sha });
  const diff = await octokit.repos.getCommit({ ...repo, ref: commit.data.sha, mediaType: { format: "diff" } });
  const listed = await octokit.repos.listCommits({ ...repo, sha: "octo", per_page: 1 });
  const branch = await octokit.repos.getBranch({ ...repo, branch: "octo" });
  await octokit.git.deleteRef({ ...repo, ref: "heads/octo" });
  const gone = await status(octokit.git.getRef({ ...repo, ref: "heads/octo" }));
  assert(deep.data.truncated === false, "not truncated");
  console.log(JSON.stringify({
    refs: matching.data.map((r) => r.ref), notFf,
    paths: deep.data.tree.map((e) => e.path).sort(),
    compare: [compared.data.status, compared.data.ahead_by, compared.data.files.map((f) => f.filename)],
    files: single.data.files.map((f) => [f.filename, f.status, f.additions]),
    diffStart: String(diff.data).split("\n")[0],
    listed: listed.data.map((c) => c.sha).concat([listed.headers.link.includes('rel="next"')]),
    branch: branch.data.commit.sha === commit.data.sha, gone,
  }));
}

main().catch((error) => { console.error(error); process.exit(1); });
