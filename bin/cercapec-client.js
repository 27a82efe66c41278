#!/usr/bin/env node
// The client program on its own: the same as `cercapec client ...`.
import { register } from 'tsx/esm/api';

register();
process.argv.splice(2, 0, 'client');
await import('../src/cli/main.ts');
