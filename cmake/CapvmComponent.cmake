# capvm_library(NAME SOURCES ... LINK ...): a component's static library; an
# interface library while the component has no sources yet, so the tree
# always configures.
function(capvm_library name)
  cmake_parse_arguments(A "" "" "SOURCES;LINK" ${ARGN})
  if(A_SOURCES)
    add_library(${name} STATIC ${A_SOURCES})
    target_link_libraries(${name} PUBLIC ${A_LINK})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${A_LINK})
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
  endif()
endfunction()
