#pragma once
// The whole public API of cppftpd.

#include <cppftpd/authorizer.hpp>
#include <cppftpd/config.hpp>
#include <cppftpd/events.hpp>
#include <cppftpd/filesystem.hpp>
#include <cppftpd/memory_filesystem.hpp>
#include <cppftpd/result.hpp>
#include <cppftpd/server.hpp>
#include <cppftpd/unix_authorizer.hpp>
#include <cppftpd/virtual_path.hpp>
