// Reference tokenizer: reads {"package": "...", "texts": [...]} on stdin, prints the ids each text encodes to,
// without special tokens added (add_special_tokens: false) and with them ("with_special"), as JSON on stdout.
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const tokenizer = require(request.package).fromPreTrained();
  const result = request.texts.map((text) => ({
    plain: Array.from(tokenizer.encode(text, { add_special_tokens: false })),
    with_special: Array.from(tokenizer.encode(text, { add_special_tokens: true })),
  }));
  process.stdout.write(JSON.stringify(result));
});
