// The official OpenAI Node SDK against a running service: every call a user would make first, and how errors reach the
// SDK's exceptions. Prints one JSON object of what the SDK saw; the xunit test asserts on it.
// Usage: node openai-sdk-check.mjs <baseURL ending in /v1> <apiKey> [stream-failure|sampling]
// (stream-failure: only a chat stream whose engine fails mid-way, to see the SSE error event reach the SDK.
//  sampling: n choices streamed and not, n=1 runs with each choice's seed, and logprobs, against a real engine.)
import OpenAI from 'openai';

const [baseURL, apiKey, mode] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });

async function failure(call) {
  try {
    await call();
    return { thrown: false };
  } catch (e) {
    return { thrown: true, name: e.constructor.name, status: e.status ?? null, message: e.message, param: e.param ?? null, code: e.code ?? null, type: e.type ?? null };
  }
}

async function concat(stream, pick) {
  let text = '';
  for await (const chunk of stream) {
    text += pick(chunk) ?? '';
  }
  return text;
}

const out = {};
if (mode === 'stream-failure') {
  const received = [];
  out.streamFailure = await failure(async () => {
    const stream = await client.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'Hi' }], stream: true });
    for await (const chunk of stream) {
      received.push(chunk.choices[0]?.delta?.content ?? '');
    }
  });
  out.receivedBeforeFailure = received.join('');
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}
if (mode === 'sampling') {
  const id = (await client.models.list()).data[0].id;
  const ask = { model: id, prompt: 'Once upon a time', max_tokens: 8, temperature: 0.9, seed: 7 };
  const whole = await client.completions.create({ ...ask, n: 3, logprobs: 2 });
  out.choices = whole.choices.sort((a, b) => a.index - b.index).map(c => ({ text: c.text, tokens: c.logprobs?.tokens?.length ?? 0,
    tops: (c.logprobs?.top_logprobs ?? []).map(t => Object.keys(t).length), logprobs: c.logprobs?.token_logprobs ?? [] }));
  out.usage = whole.usage;
  const streamed = ['', '', ''];
  for await (const chunk of await client.completions.create({ ...ask, n: 3, stream: true })) {
    for (const c of chunk.choices) {
      streamed[c.index] += c.text ?? '';
    }
  }
  out.streamed = streamed;
  out.alone = [];
  for (let i = 0; i < 3; i++) {
    out.alone.push((await client.completions.create({ ...ask, seed: 7 + i })).choices[0].text);
  }
  const chat = await client.chat.completions.create({ model: id, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5,
    temperature: 0, logprobs: true, top_logprobs: 3 });
  out.chatText = chat.choices[0].message.content;
  out.chatLogprobs = chat.choices[0].logprobs.content.map(t => ({ token: t.token, logprob: t.logprob, tops: t.top_logprobs.length,
    bytes: t.bytes }));
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}
const models = await client.models.list();
out.modelIds = models.data.map(m => m.id);
const id = out.modelIds[0];
out.retrieved = (await client.models.retrieve(id)).id;
out.retrieveUnknown = await failure(() => client.models.retrieve('no-such-model'));

const completion = await client.completions.create({ model: id, prompt: 'Hi', max_tokens: 5, temperature: 0 });
out.completionText = completion.choices[0].text;
out.completionFinish = completion.choices[0].finish_reason;
out.completionStreamed = await concat(
  await client.completions.create({ model: id, prompt: 'Hi', max_tokens: 5, temperature: 0, stream: true }), c => c.choices[0]?.text);

const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }];
const chat = await client.chat.completions.create({ model: id, messages, max_tokens: 6, temperature: 0 });
out.chatText = chat.choices[0].message.content;
out.chatUsage = chat.usage.completion_tokens;
out.chatStreamed = await concat(
  await client.chat.completions.create({ model: id, messages, max_tokens: 6, temperature: 0, stream: true }), c => c.choices[0]?.delta?.content);

out.badMaxTokens = await failure(() => client.completions.create({ model: id, prompt: 'Hi', max_tokens: 0 }));
out.stringNumber = await failure(() => client.completions.create({ model: id, prompt: 'Hi', max_tokens: '10' }));
out.nullMessage = await failure(() => client.chat.completions.create({ model: id, messages: [messages[1], null] }));
out.tools = await failure(() => client.chat.completions.create({
  model: id, messages, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
}));
out.badSession = await failure(() => client.completions.create({ model: id, prompt: 'Hi', max_tokens: 2, session_id: 'a/b' }));
out.wrongKey = await failure(() => new OpenAI({ baseURL, apiKey: 'invented', maxRetries: 0 }).models.list());
process.stdout.write(JSON.stringify(out));
