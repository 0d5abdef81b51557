// A trained run's state at the end of an epoch, so that a killed run (Ctrl-C, a stopped
// sweep, a Slurm time limit, SIGKILL, a machine that went away) starts again after its last
// evaluated epoch instead of from the beginning. run_trainer writes one after every epoch's
// evaluation (atomically: a kill leaves the previous one or the new one) and reads it when a
// run starts; the run that finishes removes it (apps/runner.cpp).
//
// What it holds: the student's weights, buffers and activation-range trackers, its SGD
// state, the image source's state (generator weights and Adam moments, or the position in a
// fixed image set), LibTorch's CPU random generator (every draw of a run comes from it:
// core/util/device.h), and the trainer's record so far (per-epoch evaluations and curves,
// images seen, seconds). A resumed run on the same build and thread count ends with the
// numbers of an uninterrupted one, bit for bit (tests/methods/checkpoint_test.cpp).
#pragma once
#include <string>
#include <vector>

#include "core/util/error.h"
#include "methods/train/evaluation.h"
#include "methods/train/step.h"
#include "models/net.h"

namespace dfq {

// What the trainer has done when it writes a checkpoint.
struct TrainerProgress {
  int64_t epochs_done = 0;
  int64_t images = 0;    // images the loop computed on
  double seconds = 0;    // wall time in the trainer, evaluations included
  std::vector<EpochEval> evals;
  std::vector<Values> curves;  // each finished epoch's logged values
};

// Who wrote a checkpoint: a resumed run records whether these differ from its own (its
// first epochs then come from another build, thread count or device, whose rounding may
// differ).
struct CheckpointWriter {
  std::string build_commit;
  int threads = 0;
  std::string device;
};

// A checkpoint that cannot be resumed (unreadable, another format, another run's).
class CheckpointError : public CorruptFileError {
 public:
  using CorruptFileError::CorruptFileError;
};

// `identity` names the run (method, cell, teacher, configuration hash); a file of another
// run is refused when read. Throws Error naming the file when it cannot be written.
void save_checkpoint(const std::string& path, const std::string& identity, NetImpl& student,
                     const StudentStep& q_step, const ImageSource& source, const TrainerProgress& progress);

// Loads a checkpoint into a student, student step and source made as the saved ones were
// (same configuration and seed), their tensors onto `device` whatever device wrote them.
// False when `path` does not exist. Throws CheckpointError naming the file when it is
// unreadable or another run's (run_cell then removes it with the failed run, so the cell's
// next run starts over).
bool load_checkpoint(const std::string& path, const std::string& identity, torch::Device device, NetImpl& student,
                     StudentStep& q_step, ImageSource& source, TrainerProgress& progress,
                     CheckpointWriter* writer = nullptr);

}  // namespace dfq
