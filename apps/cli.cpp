// What every command shares: applying the global options, and one handler that turns an
// exception into one line on stderr and an exit code.
#include <fmt/format.h>
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "apps/commands.h"
#include "core/util/error.h"
#include "core/util/interrupt.h"
#include "core/util/progress.h"
#include "core/util/rng.h"

namespace dfq {

void Cli::run(const std::function<int()>& body) {
  configure_threads(global.threads);
  ProgressReporter::set_enabled(!global.quiet);
  exit_code = body();
}

std::string checkpoint_folder(const GlobalOptions& g) {
  if (g.checkpoints != kBesideTheStore) return g.checkpoints;
  return std::filesystem::path(g.store).replace_extension(".checkpoints").string();
}

void ensure_parent_dir(const std::string& path) {
  const auto dir = std::filesystem::path(path).parent_path();
  // A folder that cannot be made is left to the store's open, whose one line names the file.
  std::error_code ec;
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
}

int report_error(const std::exception_ptr& error, const std::string& store) {
  try {
    std::rethrow_exception(error);
  } catch (const InterruptedError& e) {
    std::cerr << "dfq: interrupted: " << e.what() << " (runs in progress are recorded as interrupted in " << store
              << ")\n";
    return 130;
  } catch (const UsageError& e) {
    std::cerr << "dfq: error: " << e.what() << "\n";
    return 2;
  } catch (const Error& e) {
    std::cerr << "dfq: error: " << e.what() << "\n";
  } catch (const c10::Error& e) {
    std::cerr << "dfq: error (LibTorch): " << first_line(e.what_without_backtrace()) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "dfq: error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "dfq: error: an unknown exception\n";
  }
  return 1;
}

}  // namespace dfq
