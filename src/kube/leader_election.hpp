// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics (tools/leaderelection).
//
// - A candidate takes the Lease when it does not exist, when its holderIdentity is empty (released), when
//   it is already ours, or when it has expired: the record has not changed for leaseDurationSeconds as
//   measured by OUR monotonic clock since we first observed it (client-go's observedTime; clock skew between
//   nodes cannot make two leaders). A write carries the resourceVersion read, so two candidates cannot both
//   win.
// - Taking it from another holder sets acquireTime and increments leaseTransitions.
// - The leader renews every retry period. If it has not renewed successfully for renew_deadline it stops
//   leading at once (on_stopped_leading) and becomes a candidate again. isLeader() turns false as soon as the
//   deadline passes, even before the loop notices, so a leader cut off from the API server does not write.
// - stop() while leading releases the Lease (holderIdentity "", leaseDurationSeconds 1, like client-go's
//   ReleaseOnCancel), so a standby takes over at its next retry instead of waiting for expiry.
// Defaults: lease 15 s, renew deadline 10 s, retry period 2 s (retries jittered by up to +20%). Each Lease
// request times out after max(retry period, renew deadline / 2), so one hung request cannot outlast the
// deadline unnoticed.
//
// Thread-safety: start()/stop() from the owning thread; isLeader(), leader() from any thread; callbacks run
// on the elector's thread and must return quickly (they must not call stop()). An exception escaping that
// thread (from a callback, say) is logged and ends the process with exit code 70 (net::runGuarded).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "base/clock.hpp"
#include "core/result.hpp"
#include "kube/rest_client.hpp"

namespace aar::kube {

// spec of a Lease, as the election reads and writes it.
struct LeaseRecord {
  std::string holder_identity;
  int lease_duration_seconds = 0;
  std::optional<std::chrono::system_clock::time_point> acquire_time;
  std::optional<std::chrono::system_clock::time_point> renew_time;
  int lease_transitions = 0;

  bool operator==(const LeaseRecord&) const = default;
};

// Reads spec (missing fields: zero values). kParse when spec has fields of the wrong type.
Result<LeaseRecord> leaseRecordFromJson(const nlohmann::json& lease);
// Writes the record into lease.spec (MicroTime timestamps), keeping the rest of the object.
void leaseRecordToJson(const LeaseRecord& record, nlohmann::json* lease);

// HOSTNAME (the pod name) or gethostname(), then "_" and 8 random hex digits.
std::string makeHolderIdentity(const std::string& hostname_env);

// The pure decision of one acquire-or-renew attempt (no I/O).
struct LeaseDecision {
  enum class Action { kCreate, kUpdate, kWait };
  Action action = Action::kWait;
  LeaseRecord record;  // what to write (kCreate/kUpdate)
};
// `current` is the record on the server (nullopt: no Lease); `observed_since` is when this process first saw
// that exact record (monotonic); `now` monotonic and `wall_now` for the stamps.
LeaseDecision decideLease(const std::optional<LeaseRecord>& current, const std::string& identity,
                          std::chrono::steady_clock::time_point observed_since,
                          std::chrono::steady_clock::time_point now,
                          std::chrono::system_clock::time_point wall_now,
                          std::chrono::seconds lease_duration);

struct LeaderElectionOptions {
  std::string namespace_name = "kube-system";       // Default: kube-system
  std::string lease_name = "aws-auth-refresher";    // Default: aws-auth-refresher
  std::string identity;                             // Default: makeHolderIdentity($HOSTNAME)
  std::chrono::milliseconds lease_duration{15000};  // Default: 15 s (written in whole seconds, at least 1)
  std::chrono::milliseconds renew_deadline{10000};  // Default: 10 s; must be < lease_duration
  std::chrono::milliseconds retry_period{2000};     // Default: 2 s; must be < renew_deadline
  bool release_on_stop = true;                      // Default: true
  base::Clock* clock = &base::systemClock();        // Default: base::systemClock()
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;  // a different holder was observed
};

class LeaderElector {
 public:
  // kInvalidArgument when the durations are not ordered as required.
  static Result<std::unique_ptr<LeaderElector>> create(RestClient& rest, LeaderElectionOptions options);
  ~LeaderElector();  // stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Runs the election loop on a thread. Once only.
  void start();
  // Ends the loop; when leading: calls on_stopped_leading and releases the Lease (if release_on_stop).
  // Idempotent.
  void stop();

  // True while we hold the Lease and our last successful renewal is less than renew_deadline old.
  bool isLeader() const;
  // The holder last observed ("" if none).
  std::string leader() const;
  const std::string& identity() const { return options_.identity; }

  // One acquire-or-renew attempt against the API server (the loop calls this; tests may call it directly with
  // a manual clock instead of start()). True when we hold the Lease afterwards.
  bool tryAcquireOrRenew();
  // Gives the Lease up if we hold it (as stop() does). True when released or not held.
  bool release();

 private:
  LeaderElector(RestClient& rest, LeaderElectionOptions options);
  void run();
  // The steps of tryAcquireOrRenew(). readLease: false (logged) when the Lease cannot be read or parsed; a
  // missing Lease leaves *current empty and returns true.
  bool readLease(std::optional<LeaseRecord>* current, nlohmann::json* object);
  // Notes the record as observed at `now` (when it changed) and the holder; returns since when the current
  // record has been observed unchanged.
  base::Clock::SteadyTime observe(const std::optional<LeaseRecord>& current, base::Clock::SteadyTime now);
  // Creates (POST) or updates (PUT `object`, with its resourceVersion) the Lease as `decision` says.
  Result<nlohmann::json> writeLease(const LeaseDecision& decision, nlohmann::json object);
  // We hold the Lease as written: remember it and announce a new holder.
  void recordRenewal(const LeaseDecision& decision, const nlohmann::json& written);
  bool waitStop(std::chrono::milliseconds d);
  std::chrono::milliseconds jittered(std::chrono::milliseconds d);
  void setLeading(bool leading);
  std::string leasePath() const;

  std::shared_ptr<RestClient> rest_;  // our fork: stop() cancels in-flight calls before releasing
  RestClient& parent_;
  LeaderElectionOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool started_ = false;
  bool leading_ = false;
  std::chrono::steady_clock::time_point last_renew_{};
  std::optional<LeaseRecord> observed_;
  nlohmann::json observed_object_;
  std::chrono::steady_clock::time_point observed_time_{};
  std::string leader_;
  std::thread thread_;
};

}  // namespace aar::kube
