'use strict';
// Unary handlers written as plain functions: `handler(request, call)` returns the response or
// throws a StatusError. Anything else thrown becomes INTERNAL (and a log line) instead of a
// crashed process or a call that never answers.
const grpc = require('@grpc/grpc-js');
const {StatusError} = require('./errors');

function unary(handler) {
  return (call, callback) => {
    let response;
    try {
      response = handler(call.request, call);
    } catch (error) {
      if (error instanceof StatusError) {
        callback(error);
        return;
      }
      console.error(`unexpected error in ${call.getPath()}: ${error && error.stack || error}`);
      callback({code: grpc.status.INTERNAL, details: `internal error: ${error && error.message}`});
      return;
    }
    callback(null, response || {});
  };
}

// Wraps every handler of `handlers` (method name -> function).
function unaryAll(handlers) {
  return Object.fromEntries(Object.entries(handlers).map(([name, fn]) => [name, unary(fn)]));
}

module.exports = {unary, unaryAll};
