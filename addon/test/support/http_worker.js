'use strict';
// Performs the HTTP requests of the synchronous client in sync_http.js: the calling
// thread blocks in Atomics.wait until this worker has posted the answer on `port`.
const { parentPort, workerData } = require('node:worker_threads');

const { signal, port } = workerData;

parentPort.on('message', async (request) => {
  let answer;
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
    });
    answer = {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: await response.text(),
    };
  } catch (error) {
    answer = { error: String(error && error.cause ? error.cause : error) };
  }
  port.postMessage(answer);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
