// Child process of benchmark 6: the flood, in its own process so its sockets do not slow the
// pusher being timed. Every FLOOD_PERIOD_MS it sends FLOOD_BURST dashboard requests, each for a
// distinct range and each abandoned FLOOD_ABANDON_MS after it is sent (closed tabs, a script),
// until SIGTERM; then prints {"sent": n}.
import { request } from 'node:http';

const base = process.env.FLOOD_URL ?? '';
const burst = Number(process.env.FLOOD_BURST ?? 150);
const period = Number(process.env.FLOOD_PERIOD_MS ?? 1000);
const abandonMs = Number(process.env.FLOOD_ABANDON_MS ?? 5);
// `/health` instead: the same connections without dashboard work, the floor of what a flood costs.
const path = process.env.FLOOD_PATH ?? '/dashboard';
let sent = 0;

function one(i) {
  const now = Date.now();
  // The last minute: the store's samples are older, so a scan yields nothing while it reads
  // the whole store, the case where only the reader itself can notice the abort.
  const req = request(`${base}${path}?from=${now - 60_000 - (i % 1_000_000)}&to=${now}`, {
    agent: false,
  });
  req.on('error', () => {});
  req.on('response', (res) => res.resume());
  req.end();
  setTimeout(() => req.destroy(), abandonMs);
  sent++;
}

const fire = () => {
  for (let k = 0; k < burst; k++) one(sent);
};
fire();
const timer = setInterval(fire, period);
process.stdout.write('{"started":true}\n');
process.once('SIGTERM', () => {
  clearInterval(timer);
  process.stdout.write(`${JSON.stringify({ sent })}\n`);
  process.exit(0);
});
