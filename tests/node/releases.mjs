// @octokit/rest against hubdepot: releases and assets, the way GHES users call it.
// Env: BASE_URL (…/api/v3), TOKEN, OWNER, REPO. Prints one JSON line with what it saw; exits 1 on failure.
import { OWNER, REPO, assert, octokit } from "./client.mjs";
import { createHash, randomBytes } from "node:crypto";

const sha256 = (buf) => createHash("sha256").update(buf).digest("hex");

async function main() {
  const repo = { owner: OWNER, repo: REPO };
  const created = await octokit.repos.createRelease({ ...repo, tag_name: "v1.0.0", name: "One", body: "Notes" });
  assert(created.status === 201, "createRelease 201");
  const release = created.data;

  const data = randomBytes(150000);
  const uploaded = await octokit.repos.uploadReleaseAsset({
    ...repo, release_id: release.id, url: release.upload_url, name: "bundle.tgz", data,
    headers: { "content-type": "application/gzip", "content-length": data.length },
  });
  assert(uploaded.status === 201, "upload 201");
  assert(uploaded.data.digest === `sha256:${sha256(data)}`, "digest");

  const second = await octokit.repos.uploadReleaseAsset({
    ...repo, release_id: release.id, url: release.upload_url, name: "second.txt", data: "two",
    headers: { "content-type": "text/plain" },
  });
  assert(second.status === 201 && second.data.label === null, "second upload, no label");

  const binary = await octokit.repos.getReleaseAsset({
    ...repo, asset_id: uploaded.data.id, headers: { accept: "application/octet-stream" },
  });
  const bytes = Buffer.from(binary.data);
  assert(bytes.length === data.length && sha256(bytes) === sha256(data), "download matches");

  for (let i = 0; i < 3; i++) await octokit.repos.createRelease({ ...repo, tag_name: `p${i}` });
  const all = await octokit.paginate(octokit.repos.listReleases, { ...repo, per_page: 2 });
  const tags = all.map((r) => r.tag_name);

  const latest = await octokit.repos.getLatestRelease(repo);
  const byTag = await octokit.repos.getReleaseByTag({ ...repo, tag: "v1.0.0" });
  const updated = await octokit.repos.updateRelease({ ...repo, release_id: release.id, name: "One (edited)" });
  const assets = await octokit.repos.listReleaseAssets({ ...repo, release_id: release.id });
  await octokit.repos.deleteReleaseAsset({ ...repo, asset_id: second.data.id });
  const deleted = await octokit.repos.deleteRelease({ ...repo, release_id: release.id });
  let gone = 0;
  try { await octokit.repos.getRelease({ ...repo, release_id: release.id }); } catch (e) { gone = e.status; }

  console.log(JSON.stringify({
    tags, latest: latest.data.tag_name, byTag: byTag.data.id === release.id, updated: updated.data.name,
    assets: assets.data.map((a) => a.name), deleted: deleted.status, gone,
  }));
}

main().catch((err) => { console.error(err.stack || String(err)); process.exit(1); });
