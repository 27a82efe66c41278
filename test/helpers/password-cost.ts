import { scryptParams } from '../../src/users/password.ts';

/**
 * The tests hash back-office passwords at scrypt cost 10 (N = 2^10, 1 MiB, a few ms) instead of
 * the production 15 (157 ms on a quiet 2-core machine, over 300 ms under load): admin suites
 * create and log in users in every test. The stored hash carries its parameters, so nothing
 * else changes; test/admin/users.storage.test.ts still hashes at the default cost.
 */
export const TEST_PASSWORD_HASH_COST = 10;
export const TEST_SCRYPT = scryptParams(TEST_PASSWORD_HASH_COST);
