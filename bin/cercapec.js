#!/usr/bin/env node
// dist/ when it is built and up to date, src/ through tsx otherwise: see launch.js.
import { startCli } from './launch.js';

await startCli();
