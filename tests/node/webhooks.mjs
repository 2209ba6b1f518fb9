// A webhook receiver built on @octokit/webhooks, started by tests/support/receivers.py:
//   node webhooks.mjs PORT SECRET
// Each request's X-Hub-Signature-256 is checked with webhooks.verify(), then verifyAndReceive()
// dispatches it to the on(...) handlers below; each handler prints one JSON line
// {name, action, id, payload}. A bad signature prints {rejected: id} and answers 401.
import { createServer } from "node:http";
import { Webhooks } from "@octokit/webhooks";

const [port, secret] = process.argv.slice(2);
const webhooks = new Webhooks({ secret });
const print = (name) => ({ id, payload }) => {
  process.stdout.write(JSON.stringify({ name, action: payload.action ?? null, id, payload }) + "\n");
};
for (const name of ["ping", "push", "create", "delete", "release", "repository"]) {
  webhooks.on(name, print(name));
}

createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks).toString("utf8");
  const id = req.headers["x-github-delivery"];
  const signature = req.headers["x-hub-signature-256"] ?? "";
  if (!(await webhooks.verify(body, signature))) {
    process.stdout.write(JSON.stringify({ rejected: id }) + "\n");
    res.writeHead(401).end("bad signature");
    return;
  }
  try {
    await webhooks.verifyAndReceive({ id, name: req.headers["x-github-event"], payload: body, signature });
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  } catch (error) {
    process.stdout.write(JSON.stringify({ failed: id, error: String(error) }) + "\n");
    res.writeHead(500).end(String(error));
  }
}).listen(Number(port), "127.0.0.1", () => process.stdout.write("listening\n"));
