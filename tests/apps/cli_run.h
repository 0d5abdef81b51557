// Helpers of the tests that start real `dfq` processes (the binary DFQ_CLI) on stores they
// fill by hand.
#pragma once
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "core/store/run_store.h"
#include "tests/test_util.h"

namespace dfq::testing {

struct CliResult {
  int code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `dfq ARGS` (ARGS as the shell reads them); its output goes through a file in `dir`.
inline CliResult run_dfq(const TempDir& dir, const std::string& args) {
  const std::string out = dir.file("cli-output.txt");
  const int status = std::system((std::string(DFQ_CLI) + " " + args + " > " + out + " 2>&1").c_str());
  std::ifstream in(out);
  CliResult r;
  r.output.assign(std::istreambuf_iterator<char>(in), {});
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// The metrics of run `id` in the store at `path`, read without changing it.
inline std::map<std::string, double> metrics_of(const std::string& path, int64_t id) {
  RunStore s(path, RunStore::Access::ReadOnly);
  return s.metrics(id);
}

// The cell of a hand-made run: W4A4, seed 0, LeNet-5 on Fashion-MNIST unless told otherwise.
inline RunKey cell_key(const std::string& suite, const std::string& method, const std::string& model = "lenet5",
                       const std::string& dataset = "fashion-mnist") {
  return {suite, method, model, dataset, 4, 4, 0};
}

// A finished run of `key` with final top-1 `top1`, its curves `epochs` points long (test_top1
// flat, loss equal to the epoch).
inline void add_done_run(RunStore& store, const RunKey& key, double top1, int epochs = 1) {
  Environment e;
  e.host = "test";
  const auto id = store.begin_run(key, "{}", "h", e, key.method, 2020);
  for (int epoch = 1; epoch <= epochs; ++epoch)
    store.log_curves(id, epoch, {{"test_top1", top1}, {"loss", static_cast<double>(epoch)}});
  store.finish_run(id, {{"top1", top1}, {"fp_top1", 90.0}});
}

}  // namespace dfq::testing
