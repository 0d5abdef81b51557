// Typed exceptions whose messages name the offending value and the fix.
// The CLI prints what() on one line and exits non-zero (2 for a UsageError, else 1).
#pragma once
#include <stdexcept>
#include <string>

namespace dfq {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user asked for something that does not exist or is out of range.
class InvalidInputError : public Error {
 public:
  using Error::Error;
};

// A command-line value the command refuses (exit code 2, as for a parse error).
class UsageError : public InvalidInputError {
 public:
  using InvalidInputError::InvalidInputError;
};

// A file the run needs is absent; the message says how to obtain it.
class MissingFileError : public Error {
 public:
  using Error::Error;
};

// A file exists but its contents are not what they claim to be.
class CorruptFileError : public Error {
 public:
  using Error::Error;
};

// A training run produced a non-finite loss.
class NumericalError : public Error {
 public:
  using Error::Error;
};

// The first line of an error message: LibTorch's can run over several lines (a backtrace),
// and the CLI prints one.
inline std::string first_line(const std::string& message) { return message.substr(0, message.find('\n')); }

}  // namespace dfq
