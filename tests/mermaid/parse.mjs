// Parses Mermaid files with Mermaid's own parser and reports each one.
//   node parse.mjs FILE...   → "ok FILE" or "FAIL FILE: message" per file; exit 1 if any failed.
// Mermaid needs a DOM for its sanitizer, so a jsdom window stands in for the browser.
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const k of ['DOMParser', 'Element', 'HTMLElement', 'Node', 'navigator']) {
  if (!(k in globalThis)) globalThis[k] = dom.window[k];
}

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, 'utf8');
  try {
    const result = await mermaid.parse(text);
    if (!result || result.diagramType !== 'flowchart-v2') {
      throw new Error(`parsed as ${result && result.diagramType}, not a flowchart`);
    }
    console.log(`ok ${file}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${file}: ${String(e && e.message || e).split('\n').join(' | ')}`);
  }
}
process.exitCode = failed ? 1 : 0;
