#include "apps/slurm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (in format.h before fmt 11)

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "apps/cell.h"
#include "apps/merge.h"
#include "core/store/run_store.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "core/util/process.h"
#include "core/util/progress.h"

namespace dfq {
namespace fs = std::filesystem;

namespace {

// A value for the script: single-quoted for bash.
std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Values that reach #SBATCH lines must stay on their line and be one word.
void check_sbatch_value(const std::string& what, const std::string& v) {
  if (v.find_first_of(" \t\r\n'\"\\$`") != std::string::npos)
    throw InvalidInputError(fmt::format("{} '{}' has a space, quote or newline; give sbatch's value as one word", what, v));
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// One earlier submission of the sweep, read back from its folder.
struct Submission {
  int number = 0;
  std::string job_id;                           // "" when only emitted
  std::vector<std::vector<std::string>> tasks;  // cell file names per task
};

std::vector<Submission> read_submissions(const fs::path& dir) {
  std::vector<Submission> out;
  const auto root = dir / "submissions";
  if (!fs::is_directory(root)) return out;
  for (const auto& e : fs::directory_iterator(root)) {
    const auto name = e.path().filename().string();
    if (!e.is_directory() || name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    Submission s;
    s.number = std::stoi(name);
    if (fs::exists(e.path() / "job_id")) s.job_id = read_text(e.path() / "job_id");
    std::ifstream in(e.path() / "tasks.txt");
    std::string line;
    while (std::getline(in, line)) {
      std::stringstream words(line);
      std::vector<std::string> cells;
      std::string w;
      while (words >> w) cells.push_back(w);
      s.tasks.push_back(cells);
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return out;
}

std::string cell_file_name(const ResolvedCell& c) {
  return fmt::format("{}.{}.json", cell_name(c.key), c.config.hash());
}

// The state of each array task Slurm knows: "JOB_TASK" -> PENDING, RUNNING, ... squeue lists
// live tasks (-r: one line per array element); sacct, where accounting is on, also ended ones
// (COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, ...).
struct SlurmView {
  bool squeue = false, sacct = false;          // whether each answered
  std::map<std::string, std::string> live;     // from squeue
  std::map<std::string, std::string> ended;    // from sacct
  bool active(const std::string& task) const { return live.count(task) > 0; }
};

SlurmView query_slurm(const std::vector<Submission>& subs) {
  SlurmView v;
  std::set<std::string> jobs;
  for (const auto& s : subs)
    if (!s.job_id.empty()) jobs.insert(s.job_id);
  if (jobs.empty()) return v;
  if (on_path("squeue")) {
    const auto r = run_program({"squeue", "-h", "-r", "-o", "%i|%T"});
    if (r.exit_code == 0) {
      v.squeue = true;
      std::stringstream lines(r.out);
      std::string line;
      while (std::getline(lines, line)) {
        const auto bar = line.find('|');
        if (bar == std::string::npos) continue;
        const auto id = line.substr(0, bar);
        const auto us = id.find('_');
        if (us != std::string::npos && jobs.count(id.substr(0, us))) v.live[id] = line.substr(bar + 1);
      }
    }
  }
  if (on_path("sacct")) {
    const auto r = run_program({"sacct", "-n", "-P", "-X", "-j", fmt::format("{}", fmt::join(jobs, ",")), "-o",
                                "JobID,State"});
    if (r.exit_code == 0) {
      v.sacct = true;
      std::stringstream lines(r.out);
      std::string line;
      while (std::getline(lines, line)) {
        const auto bar = line.find('|');
        if (bar != std::string::npos) v.ended[line.substr(0, bar)] = line.substr(bar + 1);
      }
    }
  }
  return v;
}

// The newest run of each (cell, configuration) in a set of stores.
struct Newest {
  RunRecord run;
  std::string store;
};
using RunIndex = std::map<std::string, Newest>;  // cell file name -> newest run

std::string index_key(const RunRecord& r) { return fmt::format("{}.{}.json", cell_name(r.key), r.config_hash); }

void index_store(const std::string& path, RunIndex& index) {
  RunStore store(path, RunStore::Access::ReadOnly);
  store.verify_integrity();
  for (const auto& r : store.list_runs()) {
    auto& slot = index[index_key(r)];
    if (slot.store.empty() || r.started_at > slot.run.started_at) slot = {r, path};
  }
}

// True once a task has created its shard's schema. A task that is starting has an empty
// file, or one whose schema version is still 0: merging it now would fail; the next sweep
// (or dfq merge) merges it.
bool shard_ready(const std::string& path) { return RunStore::schema_version_of(path) != 0; }

// The shards of a sweep folder whose task has created their schema.
std::vector<std::string> shard_paths(const fs::path& dir) {
  std::vector<std::string> out;
  const auto root = dir / "shards";
  if (!fs::is_directory(root)) return out;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".sqlite" &&
        shard_ready(e.path().string()))
      out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Where each cell was last submitted: cell file -> (job_task id, log path).
struct TaskRef {
  std::string id;  // "JOB_TASK"; "" when the submission was only emitted
  std::string log;
  int submission = 0, task = 0;
};
std::map<std::string, TaskRef> last_tasks(const fs::path& dir, const std::vector<Submission>& subs) {
  std::map<std::string, TaskRef> out;
  for (const auto& s : subs)
    for (size_t t = 0; t < s.tasks.size(); ++t)
      for (const auto& cell : s.tasks[t]) {
        TaskRef ref;
        ref.submission = s.number;
        ref.task = static_cast<int>(t);
        if (!s.job_id.empty()) {
          ref.id = fmt::format("{}_{}", s.job_id, t);
          ref.log = (dir / "logs" / fmt::format("task-{}.log", ref.id)).string();
        }
        out[cell] = ref;
      }
  return out;
}

std::string absolute_executable(const std::string& exe) {
  std::error_code ec;
  const auto p = exe == "/proc/self/exe" ? fs::read_symlink(exe, ec) : fs::absolute(exe);
  if (ec) throw Error("cannot find the path of the dfq binary for the Slurm script");
  return p.lexically_normal().string();
}

// Merges the finished runs of every ready shard into the store; prints what it added.
void merge_shards(const fs::path& dir, const std::string& store) {
  const auto shards = shard_paths(dir);
  if (shards.empty()) return;
  const auto s = merge_stores(shards, store);
  if (s.added > 0)
    fmt::print(stderr, "sweep: merged {} finished run(s) from {} shard(s) into {}\n", s.added, s.shards, store);
}

}  // namespace

std::string slurm_sweep_dir(const SweepOptions& o, const std::string& suite_name) {
  if (!o.slurm.sweep_dir.empty()) return fs::absolute(o.slurm.sweep_dir).lexically_normal().string();
  return fs::absolute(fs::path(o.store).parent_path() / "slurm" / suite_name).lexically_normal().string();
}

std::string sbatch_script(const SlurmScript& s) {
  std::string out = "#!/bin/bash\n";
  out += fmt::format("# Written by dfq sweep --backend slurm: {} task(s), each running its cells of\n", s.tasks);
  out += fmt::format("# {}/tasks.txt with `dfq run --config` into its own store shard.\n", s.submission);
  out += fmt::format("#SBATCH --job-name={}\n", s.job_name);
  out += fmt::format("#SBATCH --array=0-{}{}\n", s.tasks - 1, s.max_parallel > 0 ? fmt::format("%{}", s.max_parallel) : "");
  out += fmt::format("#SBATCH --cpus-per-task={}\n", s.cpus_per_task);
  out += "#SBATCH --ntasks=1\n";
  if (!s.partition.empty()) out += fmt::format("#SBATCH --partition={}\n", s.partition);
  if (!s.gres.empty()) out += fmt::format("#SBATCH --gres={}\n", s.gres);
  if (!s.time.empty()) out += fmt::format("#SBATCH --time={}\n", s.time);
  if (!s.account.empty()) out += fmt::format("#SBATCH --account={}\n", s.account);
  out += fmt::format("#SBATCH --chdir={}\n", s.workdir);
  out += fmt::format("#SBATCH --output={}/logs/task-%A_%a.log\n", s.sweep_dir);
  out += "set -u\n";
  out += fmt::format("dir={}\n", sh_quote(s.sweep_dir));
  out += "task=\"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n";
  out += "shard=\"$dir/shards/task-$task.sqlite\"\n";
  out += fmt::format("cells=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" \"$dir/{}/tasks.txt\")\n", s.submission);
  out += "echo \"task $task on $(hostname): $cells\"\n";
  out += "rc=0\n";
  out += "for cell in $cells; do\n";
  out += fmt::format(
      "  {} --threads {} --store \"$shard\" --cache {} --checkpoints {} run --config \"$dir/cells/$cell\" || rc=1\n",
      sh_quote(s.executable), s.cpus_per_task, sh_quote(s.cache), sh_quote(s.checkpoints));
  out += "done\n";
  out += "exit $rc\n";
  return out;
}

SweepSummary run_slurm_sweep(const Suite& suite, const std::vector<CellRequest>& cells, const SweepOptions& o) {
  const auto& so = o.slurm;
  if (so.cpus_per_task < 1 || so.cells_per_task < 1 || so.max_parallel < 0)
    throw InvalidInputError("--cpus-per-task and --cells-per-task must be at least 1, --max-parallel at least 0");
  check_sbatch_value("--partition", so.partition);
  check_sbatch_value("--gres", so.gres);
  check_sbatch_value("--time", so.time);
  check_sbatch_value("--account", so.account);
  if (!so.emit_only && !on_path("sbatch"))
    throw MissingFileError("sbatch is not on PATH: run the Slurm backend on a cluster's login node, or pass "
                           "--emit-only to write the job script without submitting it");
  const fs::path dir = slurm_sweep_dir(o, suite.name);
  for (const char* sub : {"cells", "shards", "logs", "submissions"}) fs::create_directories(dir / sub);

  SweepSummary sum;
  sum.total = static_cast<int>(cells.size());
  merge_shards(dir, o.store);
  auto subs = read_submissions(dir);
  const auto view = query_slurm(subs);
  const auto tasks = last_tasks(dir, subs);
  std::vector<ResolvedCell> todo;
  int live = 0;
  {
    RunStore store(o.store);  // creates it when missing
    store.verify_integrity();
    for (const auto& c : cells) {
      auto r = resolve_cell(c);
      if (store.find_done(r.key, r.config.hash())) {
        ++sum.skipped;
        continue;
      }
      const auto t = tasks.find(cell_file_name(r));
      if (t != tasks.end() && view.active(t->second.id)) {
        ++live;
        continue;
      }
      todo.push_back(std::move(r));
    }
  }
  sum.elsewhere = live;
  fmt::print(stderr, "sweep {} (slurm, {}): {} cells, {} done, {} pending or running in Slurm, {} to submit\n",
             suite.name, dir.string(), sum.total, sum.skipped, live, todo.size());

  std::string job_id;
  if (!todo.empty()) {
    const int number = subs.empty() ? 0 : subs.back().number + 1;
    const auto submission = fmt::format("submissions/{}", number);
    fs::create_directories(dir / submission);
    std::string task_lines;
    int ntasks = 0;
    for (size_t i = 0; i < todo.size(); i += so.cells_per_task, ++ntasks) {
      for (size_t j = i; j < std::min(todo.size(), i + so.cells_per_task); ++j) {
        const auto name = cell_file_name(todo[j]);
        write_resolved_cell((dir / "cells" / name).string(), todo[j]);
        task_lines += (j > i ? " " : "") + name;
      }
      task_lines += "\n";
    }
    write_text_atomically((dir / submission / "tasks.txt").string(), task_lines);
    SlurmScript script;
    script.job_name = "dfq-" + suite.name;
    script.tasks = ntasks;
    script.max_parallel = so.max_parallel;
    script.cpus_per_task = so.cpus_per_task;
    script.partition = so.partition;
    script.gres = so.gres;
    script.time = so.time;
    script.account = so.account;
    script.sweep_dir = dir.string();
    script.submission = submission;
    script.workdir = fs::current_path().string();
    script.executable = absolute_executable(o.executable);
    script.cache = o.cache.empty() ? "" : fs::absolute(o.cache).lexically_normal().string();
    // A task killed at its time limit (SIGTERM: its run ends interrupted) leaves the cell's
    // checkpoint here; the next submission's task resumes it.
    script.checkpoints = o.checkpoints.empty() ? "" : fs::absolute(o.checkpoints).lexically_normal().string();
    const auto script_path = (dir / submission / "job.sbatch").string();
    write_text_atomically(script_path, sbatch_script(script));
    fs::permissions(script_path, fs::perms::owner_exec, fs::perm_options::add);
    if (so.emit_only) {
      fmt::print(stderr, "sweep: wrote {} ({} task(s)); submit it with: sbatch {}\n", script_path, ntasks, script_path);
      fmt::print("{}\n", script_path);
      return sum;
    }
    const auto r = run_program({"sbatch", "--parsable", script_path});
    if (r.exit_code != 0) {
      auto err = r.err.empty() ? r.out : r.err;
      while (!err.empty() && err.back() == '\n') err.pop_back();
      throw Error(fmt::format("sbatch refused {} (exit {}): {}", script_path, r.exit_code, err));
    }
    job_id = r.out.substr(0, r.out.find_first_of(";\n"));
    write_text_atomically((dir / submission / "job_id").string(), job_id + "\n");
    fmt::print(stderr,
               "sweep: submitted job {} ({} task(s), script {}); watch it with `dfq --store {} sweep --suite {} "
               "--backend slurm --status`; task logs in {}\n",
               job_id, ntasks, script_path, o.store, suite.name, (dir / "logs").string());
  }
  if (!so.wait) return sum;

  // --wait: until no task of this sweep is pending or running, then merge and count.
  install_stop_handlers();
  ProgressReporter progress("sweep " + suite.name, sum.total, "cells");
  while (true) {
    throw_if_stopped();
    subs = read_submissions(dir);
    const auto now = query_slurm(subs);
    if (!now.squeue) throw Error("--wait: squeue did not answer; check the cluster, then merge with dfq merge");
    int finished = 0;
    RunIndex shards;
    for (const auto& p : shard_paths(dir)) index_store(p, shards);
    for (const auto& [name, newest] : shards)
      if (newest.run.status == "done" || newest.run.status == "failed") ++finished;
    progress.update(std::min(sum.total, sum.skipped + finished),
                    fmt::format("{} task(s) pending or running", now.live.size()));
    if (now.live.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(so.poll_seconds * 1000)));
  }
  progress.finish("no task left in Slurm");
  merge_shards(dir, o.store);
  // What the array left undone is counted from the store and the shards.
  RunIndex index;
  for (const auto& p : shard_paths(dir)) index_store(p, index);
  RunStore store(o.store);
  for (const auto& c : todo) {
    if (store.find_done(c.key, c.config.hash())) {
      ++sum.done;
      continue;
    }
    ++sum.failed;
    const auto it = index.find(cell_file_name(c));
    const auto task = last_tasks(dir, read_submissions(dir))[cell_file_name(c)];
    sum.failures.push_back(fmt::format("{} ({}; log {})", cell_name(c.key),
                                       it == index.end() ? "no run recorded" : it->second.run.status + ": " +
                                                                                   it->second.run.error,
                                       task.log));
  }
  fmt::print(stderr, "sweep {}: {} done, {} skipped (already done), {} failed\n", suite.name, sum.done, sum.skipped,
             sum.failed);
  for (const auto& f : sum.failures) fmt::print(stderr, "  failed: {}\n", f);
  return sum;
}

SweepSummary print_sweep_status(const Suite& suite, const std::vector<CellRequest>& cells, const SweepOptions& o) {
  const fs::path dir = slurm_sweep_dir(o, suite.name);
  RunIndex main, shards;
  if (fs::exists(o.store)) index_store(o.store, main);
  for (const auto& p : shard_paths(dir)) index_store(p, shards);
  const auto subs = read_submissions(dir);
  const auto view = query_slurm(subs);
  const auto tasks = last_tasks(dir, subs);

  SweepSummary sum;
  sum.total = static_cast<int>(cells.size());
  std::map<std::string, int> counts;
  std::vector<std::string> lines;
  for (const auto& c : cells) {
    const auto r = resolve_cell(c);
    const auto name = cell_file_name(r);
    const auto m = main.find(name);
    const auto s = shards.find(name);
    const auto t = tasks.find(name);
    const TaskRef* task = t == tasks.end() ? nullptr : &t->second;
    const bool live = task && view.active(task->id);
    std::string where;
    if (task && !task->id.empty())
      where = fs::exists(task->log) ? fmt::format("job {}; log {}", task->id, task->log)
                                    : fmt::format("job {}; no log (the task never started): {}", task->id, task->log);
    const std::string slurm_state =
        !task ? "" : live ? view.live.at(task->id) : view.ended.count(task->id) ? view.ended.at(task->id) : "";
    std::string state, detail;
    if (m != main.end() && m->second.run.status == "done") {
      state = "done";
    } else if (s != shards.end() && s->second.run.status == "done") {
      state = "done";
      detail = "in its shard, not merged yet (the next sweep or dfq merge merges it)";
    } else if (s != shards.end() && s->second.run.status == "running") {
      state = live ? "running" : "died";
      detail = live ? where
                    : fmt::format("its task ended without finishing the run{}; {}",
                                  slurm_state.empty() ? "" : " (Slurm: " + slurm_state + ")", where);
    } else if (s != shards.end()) {
      state = s->second.run.status;  // failed or interrupted
      detail = s->second.run.error + (where.empty() ? "" : "; " + where);
    } else if (task && live) {
      state = "pending";
      detail = fmt::format("{} ({})", where, slurm_state);
    } else if (task && !task->id.empty()) {
      state = "lost";
      detail = fmt::format("its task ended without recording a run{}; {}",
                           slurm_state.empty() ? "" : " (Slurm: " + slurm_state + ")", where);
    } else if (m != main.end()) {
      state = m->second.run.status;  // a local run: running, failed or interrupted
      detail = m->second.run.error;
    } else {
      state = task ? "not submitted" : "not run";
      if (task) detail = fmt::format("only written (--emit-only): submissions/{}/job.sbatch", task->submission);
    }
    ++counts[state];
    if (state == "done") ++sum.done;
    if (state == "failed" || state == "died" || state == "lost") {
      ++sum.failed;
      sum.failures.push_back(fmt::format("{} ({})", cell_name(r.key), detail));
    }
    lines.push_back(fmt::format("  {:<13} {}{}", state, cell_name(r.key), detail.empty() ? "" : "  " + detail));
  }
  std::vector<std::string> parts;
  for (const auto& [state, n] : counts) parts.push_back(fmt::format("{} {}", n, state));
  fmt::print("sweep {}: {} cells: {}\n", suite.name, sum.total, fmt::join(parts, ", "));
  fmt::print("store {}{}\n", o.store, subs.empty() ? "" : fmt::format("; Slurm sweep folder {}", dir.string()));
  if (!subs.empty())
    fmt::print("Slurm: {}\n", view.squeue ? (view.sacct ? "squeue and sacct answered" : "squeue answered (sacct: no "
                                                                                          "accounting)")
                                          : "squeue did not answer: pending and running tasks cannot be told apart");
  for (const auto& l : lines) fmt::print("{}\n", l);
  return sum;
}

}  // namespace dfq
