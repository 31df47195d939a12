/** Prometheus metrics of the feature server. */
export { createMetrics, type CallSource } from './call-metrics';
