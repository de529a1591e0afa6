'use strict';
// Synchronous HTTP for code written for Apps Script, whose UrlFetchApp.fetch() blocks.
//
// Node's fetch is asynchronous, so a worker thread performs each request while the
// calling thread blocks in Atomics.wait on a shared flag; the worker posts the answer
// on a MessagePort, sets the flag and notifies, and the caller reads the answer with
// receiveMessageOnPort (which needs no event loop turn). Pure Node (no curl or other
// program), real sockets, and the caller sees exactly Apps Script's blocking semantics.
const path = require('node:path');
const { MessageChannel, Worker, receiveMessageOnPort } = require('node:worker_threads');

const TIMEOUT_MS = 30000;

class SyncHttp {
  constructor() {
    this.signal = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    this.answers = port1;
    this.worker = new Worker(path.join(__dirname, 'http_worker.js'), {
      workerData: { signal: this.signal, port: port2 },
      transferList: [port2],
    });
    this.worker.unref();
  }

  /** `{url, method, headers, body}` -> `{status, headers, body}`; throws on a network error. */
  request(request) {
    Atomics.store(this.signal, 0, 0);
    this.worker.postMessage(request);
    if (Atomics.wait(this.signal, 0, 0, TIMEOUT_MS) === 'timed-out') {
      throw new Error(`no answer from ${request.url} within ${TIMEOUT_MS} ms`);
    }
    const answer = receiveMessageOnPort(this.answers).message;
    if (answer.error) {
      throw new Error(`Address unavailable: ${request.url} (${answer.error})`);
    }
    return answer;
  }

  close() {
    this.answers.close();
    return this.worker.terminate();
  }
}

module.exports = { SyncHttp };
