// The API's OpenAPI 3.0 document, served at /openapi.json with the server's own limits in
// place of the `{{...}}` markers (which stand at the defaults' places in the schema).
enum OpenAPIDocument {
    /// The document for a server with these limits.
    static func json(limits: ServeLimits, version: String) -> String {
        template
            .replacingOccurrences(of: "\"{{maxTexts}}\"", with: String(limits.maxTextsPerRequest))
            .replacingOccurrences(of: "\"{{maxCharacters}}\"", with: String(limits.maxCharactersPerText))
            .replacingOccurrences(of: "{{maxBodyBytes}}", with: String(limits.maxBodyBytes))
            .replacingOccurrences(of: "{{version}}", with: version)
    }

    static let template = #"""
    {
      "openapi": "3.0.3",
      "info": {
        "title": "textclf serve",
        "version": "{{version}}",
        "description": "Text classification with the classifiers textclf trained. Requests to one model are queued and run together in length-bucketed batches; a text gets the answer `textclf predict` gives it. Bodies over {{maxBodyBytes}} bytes get 413."
      },
      "paths": {
        "/v1/classify": {
          "post": {
            "operationId": "classify",
            "summary": "Classify one text or several with the default model (the first --model).",
            "requestBody": {"$ref": "#/components/requestBodies/Classify"},
            "responses": {
              "200": {"$ref": "#/components/responses/Classified"},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "413": {"$ref": "#/components/responses/TooLarge"},
              "422": {"$ref": "#/components/responses/Unprocessable"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/models/{name}/classify": {
          "post": {
            "operationId": "classifyWithModel",
            "summary": "Classify one text or several with the named model.",
            "parameters": [
              {"name": "name", "in": "path", "required": true, "description": "A name GET /v1/models lists.",
               "schema": {"type": "string"}}
            ],
            "requestBody": {"$ref": "#/components/requestBodies/Classify"},
            "responses": {
              "200": {"$ref": "#/components/responses/Classified"},
              "400": {"$ref": "#/components/responses/BadRequest"},
              "404": {"$ref": "#/components/responses/NotFound"},
              "413": {"$ref": "#/components/responses/TooLarge"},
              "422": {"$ref": "#/components/responses/Unprocessable"},
              "503": {"$ref": "#/components/responses/Unavailable"}
            }
          }
        },
        "/v1/models": {
          "get": {
            "operationId": "listModels",
            "summary": "The served models; the first is the default.",
            "responses": {
              "200": {"description": "The models.",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}}
            }
          }
        },
        "/healthz": {
          "get": {
            "operationId": "health",
            "summary": "The process is up and answering.",
            "responses": {
              "200": {"description": "Alive.",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}
            }
          }
        },
        "/readyz": {
          "get": {
            "operationId": "ready",
            "summary": "Every model is loaded and warmed up.",
            "responses": {
              "200": {"description": "Ready.",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}},
              "503": {"description": "Not ready yet (a model is warming up).",
                      "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Readiness"}}}}
            }
          }
        },
        "/metrics": {
          "get": {
            "operationId": "metrics",
            "summary": "Prometheus metrics: requests by route, method and status; request latency; batch sizes and durations; queue depth; texts and tokens classified.",
            "responses": {
              "200": {"description": "Prometheus text format 0.0.4.",
                      "content": {"text/plain": {"schema": {"type": "string"}}}}
            }
          }
        },
        "/openapi.json": {
          "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "responses": {
              "200": {"description": "OpenAPI 3.0.",
                      "content": {"application/json": {"schema": {"type": "object"}}}}
            }
          }
        }
      },
      "components": {
        "requestBodies": {
          "Classify": {
            "required": true,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClassifyRequest"}}}
          }
        },
        "headers": {
          "RetryAfter": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}}
        },
        "responses": {
          "Classified": {
            "description": "One result for {\"text\"}; {\"results\": [...]} in order for {\"texts\"}.",
            "content": {"application/json": {"schema": {"oneOf": [
              {"$ref": "#/components/schemas/Classification"},
              {"$ref": "#/components/schemas/Classifications"}
            ]}}}
          },
          "BadRequest": {
            "description": "Not JSON, a wrong type, or a missing or unknown member; error.path names the JSON path at fault.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "NotFound": {
            "description": "No model of that name.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "TooLarge": {
            "description": "The body is larger than the server takes ({{maxBodyBytes}} bytes by default).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "Unprocessable": {
            "description": "No texts, too many texts, or a text too long; error.path names it.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "Unavailable": {
            "description": "The model's queue is full, the answer did not come within the timeout, or the server is stopping.",
            "headers": {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          }
        },
        "schemas": {
          "ClassifyRequest": {
            "oneOf": [
              {"type": "object", "required": ["text"], "additionalProperties": false,
               "properties": {"text": {"type": "string", "maxLength": "{{maxCharacters}}"}}},
              {"type": "object", "required": ["texts"], "additionalProperties": false,
               "properties": {"texts": {"type": "array", "minItems": 1, "maxItems": "{{maxTexts}}",
                                        "items": {"type": "string", "maxLength": "{{maxCharacters}}"}}}}
            ]
          },
          "Classification": {
            "type": "object",
            "required": ["label", "probabilities", "truncated", "tokens"],
            "additionalProperties": false,
            "properties": {
              "label": {"type": "string", "description": "The label given (for a model of tags, the most probable)."},
              "labels": {"type": "array", "items": {"type": "string"}, "description": "Models of tags only: every label at or above its threshold."},
              "probabilities": {"type": "object", "description": "Probability by label name (softmax, or a sigmoid per label for tags).",
                                "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
              "truncated": {"type": "boolean", "description": "The text was longer than the model's max length and was cut."},
              "tokens": {"type": "integer", "minimum": 1, "description": "Tokens read, after truncation."}
            }
          },
          "Classifications": {
            "type": "object",
            "required": ["results"],
            "additionalProperties": false,
            "properties": {"results": {"type": "array", "items": {"$ref": "#/components/schemas/Classification"}}}
          },
          "ModelList": {
            "type": "object",
            "required": ["models"],
            "properties": {"models": {"type": "array", "items": {"$ref": "#/components/schemas/Model"}}}
          },
          "Model": {
            "type": "object",
            "required": ["name", "default", "labels", "backbone", "backbone_weights", "pooling", "head", "max_length", "precision", "test_accuracy"],
            "properties": {
              "name": {"type": "string"},
              "default": {"type": "boolean", "description": "Served at /v1/classify."},
              "labels": {"type": "array", "items": {"type": "string"}},
              "backbone": {"type": "string"},
              "backbone_weights": {"type": "string", "enum": ["pretrained", "directory", "random"]},
              "pooling": {"type": "string"},
              "head": {"type": "string"},
              "max_length": {"type": "integer", "description": "Texts are cut to this many tokens."},
              "precision": {"type": "string", "enum": ["fp32"]},
              "test_accuracy": {"type": "number", "nullable": true, "description": "The run's final test accuracy (report.json); null for a model directory without its run."}
            }
          },
          "Health": {
            "type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["ok"]}}
          },
          "Readiness": {
            "type": "object",
            "required": ["ready", "models"],
            "properties": {
              "ready": {"type": "boolean"},
              "models": {"type": "object", "additionalProperties": {"type": "boolean"}, "description": "Warm, by model name."}
            }
          },
          "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
              "error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {
                  "status": {"type": "integer"},
                  "message": {"type": "string"},
                  "path": {"type": "string", "description": "The JSON path at fault in the request body, e.g. $.texts[2]."}
                }
              }
            }
          }
        }
      }
    }
    """#
}
