// Error values and Result<T>: how every layer reports failure across a boundary.
//
// An Error is a cheap value: a kind that callers branch on, and a message that says what failed and where
// (for a rule: its index, field and line). Exceptions from libraries (yaml-cpp, nlohmann-json) are caught at
// the boundary that calls them and turned into an Error; they never cross a layer.
//
// Thread-safety: plain values; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace aar {

enum class ErrorKind {
  kInvalidArgument,  // bad input from a user: a rule, a manifest, a flag. Exit code 2 in the CLI.
  kParse,            // data from a server or a file we could not read; never act on it.
  kNotFound,
  kConflict,  // optimistic concurrency lost (HTTP 409).
  kAlreadyExists,
  kUnauthorized,     // HTTP 401
  kForbidden,        // HTTP 403
  kInvalid,          // HTTP 422 from the API server
  kGone,             // HTTP 410: watch resourceVersion too old
  kTooManyRequests,  // HTTP 429 or an AWS throttling error
  kServer,           // HTTP 5xx
  kNetwork,          // connect, TLS or transfer failure; timeouts
  kTimeout,
  kCancelled,    // shutdown in progress
  kTooLarge,     // a write would exceed a Kubernetes size limit
  kUnavailable,  // nothing to act on (e.g. no credentials provider worked)
  kInternal,     // a bug: something that "cannot happen"
};

// Name of the kind, for logs and metrics labels (e.g. "Conflict").
const char* errorKindName(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;

  // Retryable failures: network, timeouts, throttling, 5xx. Not: bad input, 4xx, cancellation.
  bool retryable() const;
  // "Conflict: <message>"
  std::string toString() const;
};

inline Error makeError(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

// Result<T>: a T or an Error. Result<void> is spelt Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  static Status Ok() { return Status(); }

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace aar
