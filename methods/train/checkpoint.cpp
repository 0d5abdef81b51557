#include "methods/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "core/nn/modules.h"
#include "core/quant/layers.h"
#include "core/util/atomic_file.h"
#include "core/util/build_info.h"
#include "core/util/error.h"

namespace dfq {
namespace {

constexpr const char* kFormat = "dfqbench-checkpoint/1";

torch::Tensor int64s(std::initializer_list<int64_t> v) { return torch::tensor(std::vector<int64_t>(v), torch::kInt64); }

std::string read_text(torch::serialize::InputArchive& in, const std::string& key) {
  c10::IValue v;
  in.read(key, v);
  return v.toStringRef();
}

// On the CPU, wherever the archive was mapped (the generator's state must be a CPU tensor).
torch::Tensor read_tensor(torch::serialize::InputArchive& in, const std::string& key) {
  torch::Tensor t;
  in.read(key, t);
  return t.cpu();
}

void save_ranges(torch::serialize::OutputArchive& out, NetImpl& student) {
  const auto acts = modules_of<QActImpl>(student);
  auto t = torch::zeros({static_cast<int64_t>(acts.size()), 6}, torch::kFloat64);
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < acts.size(); ++i) {
    const auto s = acts[i].second->tracker.state();
    for (size_t j = 0; j < s.size(); ++j) a[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = s[j];
  }
  out.write("student_ranges", t);
}

void load_ranges(torch::serialize::InputArchive& in, NetImpl& student) {
  auto t = read_tensor(in, "student_ranges").to(torch::kFloat64).contiguous();
  const auto acts = modules_of<QActImpl>(student);
  if (t.dim() != 2 || t.size(0) != static_cast<int64_t>(acts.size()) || t.size(1) != 6)
    throw Error(fmt::format("it holds {} activation ranges, the student has {}", t.dim() == 2 ? t.size(0) : -1,
                            acts.size()));
  auto a = t.accessor<double, 2>();
  for (size_t i = 0; i < acts.size(); ++i) {
    std::vector<double> s(6);
    for (size_t j = 0; j < 6; ++j) s[j] = a[static_cast<int64_t>(i)][static_cast<int64_t>(j)];
    acts[i].second->tracker.restore(s);
  }
}

// LibTorch's CPU generator: every random draw of a run (core/util/device.h).
torch::Tensor generator_state() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(const torch::Tensor& state) {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

void save_progress(torch::serialize::OutputArchive& out, const TrainerProgress& p) {
  out.write("epochs_done", int64s({p.epochs_done}));
  out.write("images", int64s({p.images}));
  out.write("seconds", torch::tensor(p.seconds, torch::kFloat64));
  auto evals = torch::zeros({static_cast<int64_t>(p.evals.size()), 3}, torch::kFloat64);
  for (size_t i = 0; i < p.evals.size(); ++i) {
    const auto& e = p.evals[i];
    evals[static_cast<int64_t>(i)].copy_(torch::tensor({e.test_top1, e.test_top5, e.val_top1}, torch::kFloat64));
  }
  out.write("evals", evals);
  // Curve values as float64 tensors (exact, NaN included), their keys as JSON text.
  for (size_t e = 0; e < p.curves.size(); ++e) {
    nlohmann::json keys = nlohmann::json::array();
    std::vector<double> values;
    for (const auto& [k, v] : p.curves[e]) {
      keys.push_back(k);
      values.push_back(v);
    }
    out.write(fmt::format("curve_keys_{}", e), c10::IValue(keys.dump()));
    out.write(fmt::format("curve_values_{}", e), torch::tensor(values, torch::kFloat64));
  }
}

void load_progress(torch::serialize::InputArchive& in, TrainerProgress& p) {
  p.epochs_done = read_tensor(in, "epochs_done").item<int64_t>();
  p.images = read_tensor(in, "images").item<int64_t>();
  p.seconds = read_tensor(in, "seconds").item<double>();
  auto evals = read_tensor(in, "evals").to(torch::kFloat64).contiguous();
  if (evals.dim() != 2 || evals.size(0) != p.epochs_done || evals.size(1) != 3)
    throw Error(fmt::format("it has {} epochs done but not as many evaluations", p.epochs_done));
  p.evals.clear();
  for (int64_t i = 0; i < evals.size(0); ++i)
    p.evals.push_back({evals[i][0].item<double>(), evals[i][1].item<double>(), evals[i][2].item<double>()});
  p.curves.clear();
  for (int64_t e = 0; e < p.epochs_done; ++e) {
    const auto keys = nlohmann::json::parse(read_text(in, fmt::format("curve_keys_{}", e)));
    auto values = read_tensor(in, fmt::format("curve_values_{}", e)).to(torch::kFloat64).contiguous();
    if (!keys.is_array() || values.numel() != static_cast<int64_t>(keys.size()))
      throw Error(fmt::format("epoch {}'s curve has {} keys and {} values", e + 1, keys.size(), values.numel()));
    Values curve;
    for (size_t i = 0; i < keys.size(); ++i)
      curve.emplace_back(keys[i].get<std::string>(), values[static_cast<int64_t>(i)].item<double>());
    p.curves.push_back(std::move(curve));
  }
}

}  // namespace

void save_checkpoint(const std::string& path, const std::string& identity, NetImpl& student, const StudentStep& q_step,
                     const ImageSource& source, const TrainerProgress& progress) {
  torch::serialize::OutputArchive out, net, sgd, src;
  out.write("format", c10::IValue(std::string(kFormat)));
  out.write("identity", c10::IValue(identity));
  out.write("build_commit", c10::IValue(build_commit()));
  out.write("threads", int64s({at::get_num_threads()}));
  out.write("device", c10::IValue(student.parameters().empty() ? std::string("cpu")
                                                                : student.parameters().front().device().str()));
  student.save(net);
  out.write("student", net);
  save_ranges(out, student);
  q_step.save(sgd);
  out.write("student_sgd", sgd);
  source.save(src);
  out.write("source", src);
  out.write("cpu_generator", generator_state());
  save_progress(out, progress);
  try {
    write_atomically(path, [&](const std::string& tmp) {
      std::ofstream file(tmp, std::ios::binary);
      if (!file) throw Error(fmt::format("cannot write the checkpoint {}: the folder is not writable", path));
      out.save_to(file);
      check_written(file, path);
    });
  } catch (const Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Error(fmt::format("cannot write the checkpoint {}: {}", path, first_line(e.what_without_backtrace())));
  } catch (const std::exception& e) {  // a folder that cannot be made, a rename refused
    throw Error(fmt::format("cannot write the checkpoint {}: {}", path, first_line(e.what())));
  }
}

bool load_checkpoint(const std::string& path, const std::string& identity, torch::Device device, NetImpl& student,
                     StudentStep& q_step, ImageSource& source, TrainerProgress& progress, CheckpointWriter* writer) {
  if (!std::filesystem::exists(path)) return false;
  const auto refuse = [&](const std::string& why) {
    return CheckpointError(fmt::format("the checkpoint {} cannot be resumed ({}); a failed run removes it, so the cell's next run starts over",
                                        path, why));
  };
  torch::serialize::InputArchive in;
  try {
    in.load_from(path, device);
  } catch (const c10::Error& e) {
    throw refuse(fmt::format("unreadable: {}", first_line(e.what_without_backtrace())));
  }
  try {
    const auto format = read_text(in, "format");
    if (format != kFormat) throw refuse(fmt::format("format '{}', this build reads '{}'", format, kFormat));
    const auto of = read_text(in, "identity");
    if (of != identity) throw refuse(fmt::format("it is the checkpoint of '{}', not of '{}'", of, identity));
    if (writer) {
      writer->build_commit = read_text(in, "build_commit");
      writer->threads = static_cast<int>(read_tensor(in, "threads").item<int64_t>());
      writer->device = read_text(in, "device");
    }
    torch::serialize::InputArchive net, sgd, src;
    in.read("student", net);
    student.load(net);
    load_ranges(in, student);
    in.read("student_sgd", sgd);
    q_step.load(sgd);
    in.read("source", src);
    source.load(src);
    set_generator_state(read_tensor(in, "cpu_generator"));
    load_progress(in, progress);
  } catch (const CheckpointError&) {
    throw;
  } catch (const c10::Error& e) {
    throw refuse(first_line(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw refuse(first_line(e.what()));
  }
  return true;
}

}  // namespace dfq
