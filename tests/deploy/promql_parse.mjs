// Parses PromQL expressions with Prometheus' own lezer grammar (@prometheus-io/lezer-promql,
// the parser of the Prometheus web UI). Input on stdin: a JSON array of expressions.
// Output: a JSON array of {errors: [offsets], metrics: [names]} in the same order.
// LEZER_PROMQL_DIR names the directory whose node_modules holds the grammar.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(`${process.env.LEZER_PROMQL_DIR}/`);
const { parser } = require("@prometheus-io/lezer-promql");

const expressions = JSON.parse(readFileSync(0, "utf8"));
const results = expressions.map((expression) => {
  const errors = [];
  const metrics = new Set();
  parser.parse(expression).iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name === "Identifier" && node.node.parent?.name === "VectorSelector") {
        metrics.add(expression.slice(node.from, node.to));
      }
    },
  });
  return { errors, metrics: [...metrics].sort() };
});
process.stdout.write(JSON.stringify(results));
