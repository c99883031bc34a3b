'use strict';
/**
 * How busy the whole machine is, to tell when other processes disturbed a measurement.
 * machineBusyUs(): CPU time (µs) all cores have spent busy since boot, from /proc/stat (Linux);
 * undefined where there is no /proc/stat. The difference over a measurement, minus the CPU time
 * of the measured processes themselves, is what other processes used meanwhile.
 */
const fs = require('node:fs');

const CLOCK_TICKS = 100; // USER_HZ: /proc/stat counts in 1/100 s on Linux

function machineBusyUs() {
  try {
    const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return ((user + nice + system + irq + softirq + steal) / CLOCK_TICKS) * 1e6;
  } catch {
    return undefined;
  }
}

/** Cores other processes used over `wallUs`, given the busy counters and the measured processes' own CPU µs. */
function otherCores(busyBefore, busyAfter, ownUs, wallUs) {
  if (busyBefore === undefined || busyAfter === undefined) return NaN;
  return Math.max(0, (busyAfter - busyBefore - ownUs) / wallUs);
}

module.exports = { machineBusyUs, otherCores };
