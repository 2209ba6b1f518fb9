// The Octokit every driver uses: pointed at the server under test (BASE_URL, TOKEN in the environment)
// and unable to send a request anywhere else (uploadReleaseAsset's default host is github.com).
import { Octokit } from "@octokit/rest";

export const { BASE_URL, TOKEN, OWNER, REPO } = process.env;
const origin = new URL(BASE_URL).origin;
export const octokit = new Octokit({ auth: TOKEN, baseUrl: BASE_URL, userAgent: "hubdepot-tests" });

octokit.hook.wrap("request", async (request, options) => {
  const url = options.url.startsWith("http") ? options.url : options.baseUrl + options.url;
  if (new URL(url).origin !== origin) throw new Error(`refusing request to ${url}`);
  return request(options);
});

export const assert = (cond, what) => { if (!cond) throw new Error(`assertion failed: ${what}`); };
