// Mermaid's own parser over diagrams: stdin a JSON list of {name, text}, stdout a JSON list of
// {name, ok, error}. Run with Node from the folder holding mermaid and jsdom (scripts/toolchain.sh
// mermaid): Mermaid sanitizes labels with DOMPurify, which needs a DOM.
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const diagrams = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = [];
for (const { name, text } of diagrams) {
  try {
    await mermaid.parse(text);
    results.push({ name, ok: true, error: "" });
  } catch (error) {
    results.push({ name, ok: false, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
