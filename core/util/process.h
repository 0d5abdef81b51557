// Running another program and reading what it prints (sbatch, squeue, sacct): no shell, so
// no quoting of its arguments.
#pragma once
#include <string>
#include <vector>

namespace dfq {

struct ProgramResult {
  int exit_code = 0;  // 127: could not be started (not on PATH)
  std::string out, err;
};

// Runs argv[0] (looked up on PATH) with the arguments, waits for it, returns its exit
// code and output.
ProgramResult run_program(const std::vector<std::string>& argv);

// Whether `name` is an executable on PATH.
bool on_path(const std::string& name);

}  // namespace dfq
