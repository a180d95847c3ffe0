/**
 * Micro-benchmark of the RESP codec alone (no sockets): parse and encode throughput for
 * redis-benchmark-shaped traffic, GET/SET of 16-byte keys and 3-byte values, so later changes to
 * src/resp can be compared with this one. Not a test: it prints numbers.
 *
 *   npm run build && node dist/load/resp-codec-bench.js [commands=200000] [rounds=7]
 *
 * Requests are cut into 64 KiB chunks like socket reads, so frames straddle chunk ends as they do
 * in production. Each figure is the median of `rounds` timed rounds after one warm-up round.
 */
import { performance } from 'node:perf_hooks';
import {
  bulkReply,
  encodeCommand,
  REPLIES,
  ReplyParser,
  ReplyWriter,
  RequestParser,
  RESP_DEFAULTS,
} from '../src/resp/index.js';
import type { ReplyValue } from '../src/resp/index.js';

const commandCount = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 7);
const CHUNK_BYTES = 64 * 1024;

const keys = Array.from({ length: 1000 }, (_, index) => `key:${String(index).padStart(12, '0')}`);
const value = Buffer.from('xyz');

function requestStream(): Buffer {
  const frames: Buffer[] = [];
  for (let index = 0; index < commandCount; index++) {
    const key = keys[index % keys.length]!;
    frames.push(index % 2 === 0 ? encodeCommand(['SET', key, value]) : encodeCommand(['GET', key]));
  }
  return Buffer.concat(frames);
}

function chunks(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) out.push(bytes.subarray(offset, offset + CHUNK_BYTES));
  return out;
}

/** Runs `body` (which handles `commandCount` commands) warm-up + rounds times; median commands/s. */
function measure(body: () => number): number {
  body();
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const handled = body();
    const seconds = (performance.now() - started) / 1000;
    if (handled !== commandCount) throw new Error(`handled ${handled} of ${commandCount}`);
    rates.push(handled / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

function parseRequests(input: Buffer[]): () => number {
  return () => {
    let parsed = 0;
    const parser = new RequestParser(RESP_DEFAULTS, (args) => { parsed += args.length > 0 ? 1 : 0; });
    for (const chunk of input) parser.feed(chunk);
    return parsed;
  };
}

/** Encodes one reply per command, as the server does, taking a batch every `pipeline` replies. */
function encodeReplies(pipeline: number): () => number {
  const getReply: ReplyValue = bulkReply(value);
  const writer = new ReplyWriter();
  return () => {
    let bytes = 0;
    for (let index = 0; index < commandCount; index++) {
      writer.value(index % 2 === 0 ? REPLIES.ok : getReply);
      if ((index + 1) % pipeline === 0) bytes += writer.take().length;
    }
    bytes += writer.take().length;
    return bytes > 0 ? commandCount : 0;
  };
}

function parseReplies(input: Buffer[]): () => number {
  return () => {
    let parsed = 0;
    const parser = new ReplyParser(RESP_DEFAULTS, () => { parsed++; });
    for (const chunk of input) parser.feed(chunk);
    return parsed;
  };
}

function encodeCommands(): () => number {
  return () => {
    let bytes = 0;
    for (let index = 0; index < commandCount; index++) {
      const key = keys[index % keys.length]!;
      bytes += (index % 2 === 0 ? encodeCommand(['SET', key, value]) : encodeCommand(['GET', key])).length;
    }
    return bytes > 0 ? commandCount : 0;
  };
}

function replyStream(): Buffer {
  const writer = new ReplyWriter();
  const parts: Buffer[] = [];
  for (let index = 0; index < commandCount; index++) {
    writer.value(index % 2 === 0 ? REPLIES.ok : bulkReply(value));
    if (writer.batchBytes > 32 * 1024) parts.push(Buffer.from(writer.take()));
  }
  parts.push(Buffer.from(writer.take()));
  return Buffer.concat(parts);
}

const requests = requestStream();
const rows: [string, number][] = [
  ['parse requests (RequestParser, 64 KiB chunks)', measure(parseRequests(chunks(requests)))],
  ['encode replies, batch of 1 (no pipelining)', measure(encodeReplies(1))],
  ['encode replies, batch of 16 (-P 16)', measure(encodeReplies(16))],
  ['parse replies (ReplyParser, 64 KiB chunks)', measure(parseReplies(chunks(replyStream())))],
  ['encode commands (encodeCommand)', measure(encodeCommands())],
];

console.log(`RESP codec, ${commandCount} commands (half SET key16 val3, half GET key16), median of ${rounds} rounds, Node ${process.version}`);
for (const [name, rate] of rows) {
  console.log(`${name.padEnd(50)} ${(rate / 1e6).toFixed(2).padStart(6)} M commands/s  ${(1e9 / rate).toFixed(0).padStart(5)} ns/command`);
}
