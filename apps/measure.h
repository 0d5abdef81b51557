// The latency phase (#16 §4): deployment latencies measured one run at a time, on a machine
// where nothing of dfqbench trains. A sweep runs it after its training cells; `dfq measure`
// runs it on runs already in a store.
//
// What is timed: the run's architecture at its bit-widths. The student is rebuilt from the
// run's teacher and quantization settings (the trained weights are not kept), its activation
// ranges set from two batches of random inputs, and lowered to int8 as in the run. Dense
// kernels take the same time whatever the weight values, so these are the run's latencies;
// the run's int8 top-1 and sizes were measured on its trained student inside the run.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/store/run_store.h"

namespace dfq {

// Measures finished run `run` of `store` and adds its latency metrics to it (see
// measure_latencies in methods/train/deployment.h); returns them. `zoo`: the teachers'
// folder (empty: the default zoo).
std::map<std::string, double> measure_run(RunStore& store, const RunRecord& run, const std::string& zoo = "");

// The latency phase's loop, shared by a sweep and `dfq measure`: measures `runs` one at a
// time, in order, calling `after_each(measured so far, run, its metrics)` after each. A stop
// request (Ctrl-C, SIGTERM) ends it between runs with an InterruptedError that says how far
// it got and then `resume` (how to measure the rest). Returns how many runs' figures were
// noisy.
int measure_runs(RunStore& store, const std::vector<RunRecord>& runs, const std::string& zoo,
                 const std::string& resume,
                 const std::function<void(int, const RunRecord&, const std::map<std::string, double>&)>& after_each);

// Whether a run has latency figures from a latency phase (runs recorded before the phase
// existed timed latency inside training and have no latency_noisy figure).
bool has_latency(const std::map<std::string, double>& metrics);

// One line for a measured run: its int8 (or fake-quant) batch-1 and batch-64 medians, and
// "noisy" with the reason when it is.
std::string describe_latency(const std::map<std::string, double>& m);

}  // namespace dfq
