// Package bench measures the sandbox bank's throughput against a baseline taken in the
// same process and the same run: a bare fiber JSON handler served over the bank's own
// TLS certificate and TLS policy. The machine the benchmarks run on is shared and noisy,
// so only the ratio of the two, measured back to back (A, B, A, B), is meaningful.
//
// Run it with `make bench`, or:
//
//	go test -run '^$' -bench . -benchtime 3s -count 1 ./sandbox/bench/
//
// BenchmarkA1VersusBareFiber prints the ratio,
//
//	A1 product queries: 1234 req/s; bare fiber JSON over the same TLS: 5678 req/s; ratio 0.22
//
// and the latency bar: p50 and p99 of A1 queries offered at 70% of that peak in an open
// loop, each timed from when it was due. It reports a1_req/s, bare_req/s, ratio, p50_ms,
// p99_ms and p99_at_70pct_ms as benchmark metrics.
// BenchmarkA1ProductQuery and BenchmarkBareFiberJSON are the same two workloads in the
// standard ns/op form. The package holds only tests.
package bench
