// Which recorded runs are a suite file's cells as the file configures them today. Reports
// and the accuracy gate leave the others out: an ad-hoc `dfq run --suite ci --set
// epochs=3` recorded under the suite's name, or a run of an older version of the file,
// would otherwise become the "newest run" of its cell (#17 item 13).
#pragma once
#include <functional>
#include <string>

#include "core/store/run_store.h"

namespace dfq {

using RunMismatch = std::function<std::string(const RunRecord&)>;

// For runs recorded under `label`: NAME (configs/NAME.yaml), NAME-smoke (`sweep --smoke`)
// or NAME@VARIANT (a suite variant), resolved as the sweep resolves them. The function
// says how a run differs ("" when it is a cell with the file's settings): not a cell of the
// file, or the first setting whose value differs (settings only one side records, such as
// keys added in a later version, are not compared). Unset when no suite file has that name.
RunMismatch suite_run_matcher(const std::string& label, const std::string& configs_dir);

}  // namespace dfq
