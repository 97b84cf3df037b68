// The administration pages' calls (workflows and policies, notification channels, projects and
// environments): the same public API as every page, the `/api/v1` face where the route is
// seed 001's, as the logged-in person.
import { call } from "./api.js";

const enc = (part) => encodeURIComponent(part);

export const admin = {
  workflows: () => call("GET", "/api/v1/workflows"),
  createWorkflow: (body) => call("POST", "/api/v1/workflows", body),
  updateWorkflow: (id, body) => call("PUT", `/api/v1/workflows/${enc(id)}`, body),
  deleteWorkflow: (id) => call("DELETE", `/api/v1/workflows/${enc(id)}`),
  policies: () => call("GET", "/api/v1/policies"),
  createPolicy: (body) => call("POST", "/api/v1/policies", body),
  updatePolicy: (id, body) => call("PUT", `/api/v1/policies/${enc(id)}`, body),
  deletePolicy: (id) => call("DELETE", `/api/v1/policies/${enc(id)}`),
  notifications: () => call("GET", "/v1/notifications"),
  setNotifications: (body) => call("PUT", "/v1/notifications", body),
  projects: () => call("GET", "/api/v1/projects"),
  createProject: (body) => call("POST", "/api/v1/projects", body),
  projectStatus: (id, status, force) => call("PUT", `/api/v1/projects/${enc(id)}/status${force ? "?force=true" : ""}`, { status }),
  environments: () => call("GET", "/api/v1/environments"),
  createEnvironment: (body) => call("POST", "/api/v1/environments", body),
  deleteEnvironment: (id, force) => call("DELETE", `/api/v1/environments/${enc(id)}${force ? "?force=true" : ""}`),
};
