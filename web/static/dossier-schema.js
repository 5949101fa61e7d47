/* The process diagram of a dossier page: bpmn-js (navigated viewer, loaded before this file)
 * draws the BPMN of the dossier's version, then each element gets the marker of its state.
 * Without JavaScript the page shows everything else; this file only adds the picture. */
(function () {
  "use strict";

  var MARKERS = {
    completed: "etat-termine",
    current: "etat-en-cours",
    pending: "etat-a-venir"
  };

  function fetchOk(url, as) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: as === "json" ? "application/json" : "application/xml" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return as === "json" ? response.json() : response.text();
      });
  }

  function show() {
    var container = document.getElementById("schema-processus");
    var status = document.getElementById("schema-statut");
    if (!container) {
      return;
    }
    if (typeof window.BpmnJS !== "function") {
      if (status) {
        status.textContent = "Le schéma du processus n'a pas pu être chargé.";
      }
      return;
    }
    var viewer = new window.BpmnJS({ container: container });
    Promise.all([
      fetchOk(container.getAttribute("data-bpmn-url"), "xml"),
      fetchOk(container.getAttribute("data-etats-url"), "json")
    ])
      .then(function (answers) {
        return viewer.importXML(answers[0]).then(function () {
          return answers[1];
        });
      })
      .then(function (states) {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        var marked = 0;
        Object.keys(MARKERS).forEach(function (state) {
          (states[state] || []).forEach(function (id) {
            if (registry.get(id)) {
              canvas.addMarker(id, MARKERS[state]);
              marked += 1;
            }
          });
        });
        canvas.zoom("fit-viewport", "auto");
        container.setAttribute("data-etat", "affiche");
        container.setAttribute("data-elements-marques", String(marked));
      })
      .catch(function () {
        container.setAttribute("data-etat", "erreur");
        if (status) {
          status.textContent = "Le schéma du processus n'a pas pu être affiché.";
        }
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})();
