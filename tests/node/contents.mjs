// @octokit/rest against hubdepot: the contents API and archive links, the way GHES users call it.
// Env: BASE_URL (…/api/v3), TOKEN, OWNER, REPO. Prints one JSON line with what it saw; exits 1 on failure.
import { OWNER, REPO, assert, octokit } from "./client.mjs";

const b64 = (text) => Buffer.from(text).toString("base64");

async function status(promise) {
  try { return (await promise).status; } catch (error) { return error.status; }
}

async function main() {
  const repo = { owner: OWNER, repo: REPO };
  const readme = await octokit.repos.getContent({ ...repo, path: "README.md", mediaType: { format: "raw" } });
  const readmeRaw = await octokit.repos.getReadme({ ...repo, mediaType: { format: "raw" } });

  const path = "deep/dir/notes.txt"; // octokit sends deep%2Fdir%2Fnotes.txt
  const created = await octokit.repos.createOrUpdateFileContents({
    ...repo, path, message: "add notes", content: b64("first\n"),
    committer: { name: "Octo Cat", email: "octo@example.com" },
  });
  assert(created.data.content.path === path, "created path");
  const updated = await octokit.repos.createOrUpdateFileContents({
    ...repo, path, message: "edit notes", content: b64("second\n"), sha: created.data.content.sha,
  });
  const conflict = await status(octokit.repos.createOrUpdateFileContents({
    ...repo, path, message: "stale", content: b64("x"), sha: created.data.content.sha,
  }));
  const json = await octokit.repos.getContent({ ...repo, path });
  const raw = await octokit.repos.getContent({ ...repo, path, mediaType: { format: "raw" } });
  const listing = await octokit.repos.getContent({ ...repo, path: "deep/dir" });
  const deleted = await octokit.repos.deleteFile({ ...repo, path, message: "remove notes", sha: updated.data.content.sha });
  const gone = await status(octokit.repos.getContent({ ...repo, path }));

  const link = await octokit.repos.downloadTarballArchive({ ...repo, ref: "main", request: { redirect: "manual" } });
  const zip = await octokit.repos.downloadZipballArchive({ ...repo, ref: "main" });

  console.log(JSON.stringify({
    readme: readme.data, readmeRaw: readmeRaw.data,
    statuses: [created.status, updated.status, conflict, deleted.status, gone],
    json: Buffer.from(json.data.content, "base64").toString(), encoding: json.data.encoding,
    raw: raw.data, listing: listing.data.map((e) => [e.name, e.type]),
    deletedContent: deleted.data.content, committer: created.data.commit.committer.name,
    archive: [link.status, link.headers.location], zipBytes: Buffer.from(zip.data).subarray(0, 2).toString("hex"),
  }));
}

main().catch((error) => {
  console.error(error.stack || String(error));
  process.exit(1);
});
