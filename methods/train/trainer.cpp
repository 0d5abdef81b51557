#include "methods/train/trainer.h"

#include <fmt/format.h>

#include <map>

#include "core/losses/losses.h"
#include "core/nn/modules.h"
#include "core/quant/layers.h"
#include "core/quant/quantize.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "core/util/progress.h"
#include "core/util/build_info.h"
#include "methods/train/checkpoint.h"
#include "methods/train/evaluation.h"

namespace dfq {
namespace {

// Per-epoch means of the named loss terms, in first-seen order.
class EpochTerms {
 public:
  void add(const std::string& side, const Terms& terms) {
    for (const auto& [name, t] : terms) {
      auto key = side + "_" + name;
      if (!sums_.count(key)) order_.push_back(key);
      sums_[key] += t.item<double>();
    }
  }
  // "key value" of the first three terms, for the progress line.
  std::string status(int64_t iters_so_far) const {
    std::string s;
    for (size_t i = 0; i < std::min<size_t>(order_.size(), 3); ++i)
      s += fmt::format(" {} {:.4g}", order_[i], sums_.at(order_[i]) / iters_so_far);
    return s;
  }
  void means(int64_t iters, Values& out) const {
    for (const auto& k : order_) out.emplace_back(k, sums_.at(k) / iters);
  }

 private:
  std::map<std::string, double> sums_;
  std::vector<std::string> order_;
};

// P/Q disagreement on the images Q trained on (generated, or the fixed set).
struct Disagreement {
  int64_t mismatch = 0, seen = 0;
  double kl = 0;
  void add(const StepTensors& st) {
    torch::NoGradGuard ng;
    mismatch += st.z_q.argmax(1).ne(st.z_p.argmax(1)).sum().item<int64_t>();
    kl += kd_loss(st.z_q, st.z_p, 1.0, 1.0, KDReduction::BatchMean).item<double>();
    seen += st.y.size(0);
  }
};

// The student at an evaluation: weights, BatchNorm statistics and activation ranges (plain
// values in each QAct's tracker, not buffers). Cloned tensors rather than a second student:
// building one would draw from the seeded generator and change the run's numbers.
struct StudentState {
  std::vector<torch::Tensor> tensors;
  std::vector<RangeTracker> ranges;
};

StudentState save_student(NetImpl& net) {
  torch::NoGradGuard ng;
  StudentState s;
  for (const auto& p : net.parameters()) s.tensors.push_back(p.detach().clone());
  for (const auto& b : net.buffers()) s.tensors.push_back(b.detach().clone());
  for (const auto& [name, act] : modules_of<QActImpl>(net)) s.ranges.push_back(act->tracker);
  return s;
}

void load_student(NetImpl& net, const StudentState& s) {
  torch::NoGradGuard ng;
  size_t i = 0;
  for (auto& p : net.parameters()) p.copy_(s.tensors.at(i++));
  for (auto& b : net.buffers()) b.copy_(s.tensors.at(i++));
  i = 0;
  for (auto& [name, act] : modules_of<QActImpl>(net)) act->tracker = s.ranges.at(i++);
}

}  // namespace

std::pair<Terms, Terms> train_iteration(ImageSource& source, StudentStep& q_step, NetImpl& student, const Schedule& s,
                                        int64_t epoch, int64_t it, StepTensors& st) {
  StepPosition at{epoch, it, s.position(epoch, it), 1.0};
  at.lr_factor = s.lr_factor(at.fraction);
  set_calibration(student, s.calibrating(at.fraction));
  Terms g = source.next(st, student, at);
  Terms q = q_step.run(st, at, s.trains_student(at.fraction));
  return {std::move(g), std::move(q)};
}

void run_trainer(RunContext& ctx, const Schedule& s, const TrainerParts& parts) {
  const int64_t epochs = s.epochs, iters = s.iters_per_epoch;
  Net student = ctx.make_student();
  auto source = parts.make_source();
  StudentStep q_step(student, s, parts.student_loss);
  StudentEvaluator evaluator(ctx);
  // A killed run starts again after its last evaluated epoch (methods/train/checkpoint.h):
  // student, source, random generator and the record so far, as they were. Its curves of the
  // restored epochs are logged again, to this run.
  const std::string identity = fmt::format("{} teacher {} config {}", ctx.title, ctx.teacher_id, ctx.config.hash());
  TrainerProgress done;
  CheckpointWriter writer;
  const bool resumed = !ctx.checkpoint.empty() &&
                       load_checkpoint(ctx.checkpoint, identity, ctx.device, *student, q_step, *source, done, &writer);
  if (resumed) {
    for (size_t e = 0; e < done.curves.size(); ++e) ctx.log->curve(static_cast<int64_t>(e) + 1, done.curves[e]);
    ctx.log->metric("resumed_epochs", static_cast<double>(done.epochs_done));
    const bool other = writer.build_commit != build_commit() || writer.threads != at::get_num_threads() ||
                       writer.device != ctx.device.str();
    ctx.log->metric("resumed_other_setup", other ? 1.0 : 0.0);
    progress_note(fmt::format("{}: resuming after epoch {}/{} from {} (written by build {}, {} thread(s), {})",
                              ctx.title, done.epochs_done, epochs, ctx.checkpoint, writer.build_commit,
                              writer.threads, writer.device));
  }
  // `done` is the run's record (evaluations, curves, images) from here on, restored or empty.
  std::vector<EpochEval>& evals = done.evals;
  ProgressReporter progress(ctx.title, epochs * iters, "it", done.epochs_done * iters);
  const double seconds_before = done.seconds;  // in the processes this run resumes
  const auto seconds = [&] { return seconds_before + progress.elapsed_seconds(); };
  // A non-finite loss after the first evaluation ends training: the run keeps the student of
  // its last evaluation and records where it diverged (metrics diverged_at_epoch/_iter). The
  // official code trains on through NaN and reports its best epoch before it (IntraQ's
  // main_direct.py saves on improvement; the authors' own logs show such NaNs), so a diverged
  // run here is reported, and marked, rather than lost. Before any evaluation it fails.
  StudentState last_evaluated;
  if (resumed) last_evaluated = save_student(*student);
  int64_t& images = done.images;  // the batches the loop computed on, for the compute axis of the reports
  int64_t diverged_epoch = -1, diverged_iter = -1;
  std::string diverged_why;

  for (int64_t epoch = done.epochs_done; epoch < epochs && diverged_epoch < 0; ++epoch) {
    source->train();
    EpochTerms terms;
    Disagreement disagreement;
    for (int64_t it = 0; it < iters; ++it) {
      throw_if_stopped();
      StepTensors st;
      st.num_classes = ctx.data->info.classes;
      std::pair<Terms, Terms> gq;
      try {
        gq = train_iteration(*source, q_step, *student, s, epoch, it, st);
      } catch (const NumericalError& e) {
        if (evals.empty()) throw;
        diverged_epoch = epoch;
        diverged_iter = it;
        diverged_why = e.what();
        break;
      }
      terms.add("g", gq.first);
      terms.add("q", gq.second);
      disagreement.add(st);
      images += st.y.size(0);
      std::string status = fmt::format("epoch {}/{}", epoch + 1, epochs) + terms.status(it + 1);
      if (!evals.empty()) status += fmt::format(" | top1 {:.2f}", evals.back().test_top1);
      progress.update(epoch * iters + it + 1, status);
    }
    if (diverged_epoch >= 0) break;
    Values values;
    terms.means(iters, values);
    values.emplace_back("gen_mismatch", 100.0 * disagreement.mismatch / std::max<int64_t>(1, disagreement.seen));
    values.emplace_back("gen_kl_pq", disagreement.kl / iters);
    values.emplace_back("lr_q", s.lr_q * s.lr_factor(s.position(epoch, iters - 1)));
    values.emplace_back("calib_updates", static_cast<double>(calibration_updates(*student)));
    if (parts.epoch_end) parts.epoch_end(values);
    progress.phase(fmt::format("epoch {}/{}: evaluating", epoch + 1, epochs));
    evals.push_back(evaluator.evaluate(*student, values));
    values.emplace_back("images_seen", static_cast<double>(images));
    values.emplace_back("wall_seconds", seconds());  // evaluations included, as train_seconds
    ctx.log->curve(epoch + 1, values);
    last_evaluated = save_student(*student);
    done.curves.push_back(std::move(values));
    done.epochs_done = epoch + 1;
    done.seconds = seconds();
    if (!ctx.checkpoint.empty()) save_checkpoint(ctx.checkpoint, identity, *student, q_step, *source, done);
  }
  if (diverged_epoch >= 0) {
    load_student(*student, last_evaluated);
    ctx.log->metric("diverged_at_epoch", static_cast<double>(diverged_epoch + 1));
    ctx.log->metric("diverged_at_iter", static_cast<double>(diverged_iter + 1));
    progress.finish(fmt::format("diverged ({}); kept the student of epoch {}: test top-1 {:.2f}%", diverged_why,
                                evals.size(), evals.back().test_top1));
  } else {
    progress.finish(fmt::format("final test top-1 {:.2f}%", evals.back().test_top1));
  }
  ctx.student = student;
  ctx.log->metric("calib_updates", static_cast<double>(calibration_updates(*student)));
  log_final_metrics(ctx, evals, seconds(), images);
}

}  // namespace dfq
