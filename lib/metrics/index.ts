/** Prometheus metrics of the feature server, and the last hour of them in memory (GET /v1/stats/history). */
export { createMetrics, type CallSource } from './call-metrics';
export { HISTORY_METRICS, StatsHistory, type StatsHistoryOptions, type StatsSample } from './stats-history';
export { Ring } from './stats-ring';
