#!/usr/bin/env node
// The client program on its own: the same as `cercapec client ...`.
import { startCli } from './launch.js';

process.argv.splice(2, 0, 'client');
await startCli();
