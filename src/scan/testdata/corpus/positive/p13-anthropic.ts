import Anthropic from "@anthropic-ai/sdk";

const client = new Anthropic({ apiKey: "{{ANTHROPIC}}" });
export default client;
