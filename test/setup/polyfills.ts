// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22+); Node 20 lacks it.
import '../../functions/local/polyfills';

// Node 20 here; the SDK's Node 22 notice would repeat in every test file's output.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
