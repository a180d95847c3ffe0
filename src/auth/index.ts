/** Shared-secret checks: one comparison for every port that takes the cluster token or proxy.password. */
export { SecretCheck, bearerCredentials } from './secret-check.js';
